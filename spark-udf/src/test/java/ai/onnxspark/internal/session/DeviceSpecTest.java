package ai.onnxspark.internal.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxspark.OnnxException;
import java.util.Map;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DeviceSpecTest {

  @ParameterizedTest(name = "{0} with task gpu [{1}] -> {2}")
  @CsvSource({
    "auto, 1, cuda:1",
    "auto, , cpu",
    "cuda, 3, cuda:3",
    "cuda, , cuda:2",
    "tensorrt, 0, tensorrt:0",
    "tensorrt, , tensorrt:2",
    "cpu, 1, cpu",
    "cpu, , cpu"
  })
  void resolvesTheDeviceFromTheTasksGpu(String device, String address, String expected) {
    Map<String, ResourceInformation> resources =
        address == null
            ? Map.of()
            : Map.of("gpu", new ResourceInformation("gpu", new String[] {address, "7"}));
    assertThat(DeviceSpec.of(device, 2, "none").resolve(resources)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource({"gpu, none", "cuda, gpu"})
  void refusesUnknownValues(String device, String fallback) {
    assertThatThrownBy(() -> DeviceSpec.of(device, 0, fallback))
        .isInstanceOf(OnnxException.class)
        .hasMessageMatching(
            "Option '(device|device-fallback)' = '(gpu)' is invalid: expected (cpu, cuda, tensorrt or auto|none or cpu)\\.");
  }
}
