package ai.onnxspark.jobs;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's memory as Linux and the JVM report it: resident set size (native memory included)
 * and heap, current and peak since the last {@link #resetPeaks}.
 */
final class Memory {
  private static final Path STATUS = Path.of("/proc/self/status");

  private Memory() {}

  /**
   * Starts new peaks: the kernel's peak RSS ({@code echo 5 > /proc/self/clear_refs}) and each heap
   * pool's peak usage. Where the kernel does not allow it, the RSS peak stays the process's.
   */
  static void resetPeaks() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
    } catch (IOException | SecurityException e) {
      // Not Linux, or not permitted: the RSS peak then counts from the process start.
    }
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        pool.resetPeakUsage();
      }
    }
  }

  /** Peak resident set size in MB ({@code VmHWM}); NaN where /proc is not there. */
  static double peakRssMb() {
    return statusMb("VmHWM:");
  }

  /** Resident set size now in MB ({@code VmRSS}); NaN where /proc is not there. */
  static double rssMb() {
    return statusMb("VmRSS:");
  }

  /** The sum of the heap pools' peak usage since the last reset, in MB. */
  static double peakHeapMb() {
    long bytes = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
        bytes += pool.getPeakUsage().getUsed();
      }
    }
    return bytes / 1048576.0;
  }

  private static double statusMb(String field) {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith(field)) {
          String kb = line.substring(field.length()).trim().split("\\s+")[0];
          return Long.parseLong(kb) / 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
    return Double.NaN;
  }
}
