package ai.onnxspark.internal.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxspark.OnnxException;
import ai.onnxspark.internal.model.ModelBytes;
import ai.onnxspark.model.ElementType;
import ai.onnxspark.testing.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SessionCacheTest {
  private static final ModelBytes MODEL = ModelBytes.of(TestModels.mlp(4, 4, 2, 1), "mlp");
  private static final SessionOptionsSpec ONE_THREAD =
      SessionOptionsSpec.defaults().withTaskCpus(1);

  @Test
  void concurrentTasksShareOneSession() throws Exception {
    SessionCache cache = new SessionCache(4);
    SessionKey key = new SessionKey(MODEL.fingerprint(), ONE_THREAD, "cpu");
    AtomicInteger loads = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<SessionLease>> leases = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        leases.add(
            pool.submit(
                () -> {
                  start.await();
                  return cache.acquire(
                      key,
                      () -> {
                        loads.incrementAndGet();
                        return MODEL.bytes();
                      },
                      "mlp");
                }));
      }
      start.countDown();
      List<SessionLease> held = new ArrayList<>();
      for (Future<SessionLease> f : leases) {
        held.add(f.get(60, TimeUnit.SECONDS));
      }
      assertThat(held).extracting(SessionLease::session).containsOnly(held.get(0).session());
      assertThat(held).filteredOn(SessionLease::created).hasSize(1);
      assertThat(loads).hasValue(1);
      assertThat(cache.stats().creations()).isEqualTo(1);
      held.forEach(SessionLease::close);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void optionsAndDevicesGetTheirOwnSessions() {
    SessionCache cache = new SessionCache(8);
    try (SessionLease a =
            cache.acquire(
                new SessionKey(MODEL.fingerprint(), ONE_THREAD, "cpu"), MODEL::bytes, "mlp");
        SessionLease b =
            cache.acquire(
                new SessionKey(MODEL.fingerprint(), ONE_THREAD.withIntraOpThreads(2), "cpu"),
                MODEL::bytes,
                "mlp");
        SessionLease c =
            cache.acquire(
                new SessionKey(MODEL.fingerprint(), ONE_THREAD, "cuda:1", true),
                MODEL::bytes,
                "mlp")) {
      assertThat(a.session()).isNotSameAs(b.session()).isNotSameAs(c.session());
      assertThat(cache.stats().creations()).isEqualTo(3);
    }
  }

  @Test
  void boundedCacheClosesTheLeastRecentlyUsedIdleSessionButNeverOneInUse() {
    SessionCache cache = new SessionCache(1);
    ModelBytes other =
        ModelBytes.of(TestModels.twoXPlusOne(ElementType.FLOAT, "batch", 2), "other");
    SessionLease held =
        cache.acquire(new SessionKey(MODEL.fingerprint(), ONE_THREAD, "cpu"), MODEL::bytes, "mlp");
    SessionLease second =
        cache.acquire(
            new SessionKey(other.fingerprint(), ONE_THREAD, "cpu"), other::bytes, "other");
    // Both in use: nothing may be closed although the cache is over its bound.
    assertThat(cache.stats().closes()).isZero();
    assertThat(cache.stats().live()).isEqualTo(2);
    assertThat(held.session().getInputNames()).containsExactly("features");

    second.close();
    held.close();
    // The next acquisition trims the cache to one session, closing the least recently used idle
    // one.
    try (SessionLease again =
        cache.acquire(
            new SessionKey(other.fingerprint(), ONE_THREAD, "cpu"), other::bytes, "other")) {
      assertThat(again.created()).isFalse();
      assertThat(cache.stats().live()).isEqualTo(1);
      assertThat(cache.stats().closes()).isEqualTo(1);
      assertThat(cache.stats().evictions()).isEqualTo(1);
    }
    cache.closeIdle();
    assertThat(cache.stats().closes()).isEqualTo(2);
    assertThat(cache.stats().live()).isZero();
  }

  @Test
  void sessionEvictedWhileLeasedIsClosedOnRelease() {
    SessionCache cache = new SessionCache(4);
    SessionLease lease =
        cache.acquire(new SessionKey(MODEL.fingerprint(), ONE_THREAD, "cpu"), MODEL::bytes, "mlp");
    cache.closeIdle();
    assertThat(cache.stats().closes()).isZero();
    assertThat(lease.session().getNumInputs()).isEqualTo(1);
    lease.close();
    lease.close();
    assertThat(cache.stats().closes()).isEqualTo(1);
    assertThatThrownBy(lease::session).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void failedCreationIsReportedAndNotCached() {
    SessionCache cache = new SessionCache(4);
    SessionKey key = new SessionKey("not-a-model", ONE_THREAD, "cpu");
    assertThatThrownBy(() -> cache.acquire(key, () -> new byte[] {1, 2, 3}, "garbage"))
        .isInstanceOf(OnnxException.class)
        .hasMessageStartingWith("ONNX Runtime could not create a session for model garbage on cpu");
    assertThat(cache.stats().live()).isZero();
    assertThat(cache.stats().creations()).isZero();
  }

  @Test
  void autoThreadsBecomeTheTaskCpusAndExplicitThreadsStay() {
    assertThat(SessionOptionsSpec.defaults().withTaskCpus(3).intraOpThreads()).isEqualTo(3);
    assertThat(SessionOptionsSpec.defaults().withIntraOpThreads(2).withTaskCpus(3).intraOpThreads())
        .isEqualTo(2);
    assertThatThrownBy(() -> SessionOptionsSpec.OptimizationLevel.parse("max"))
        .isInstanceOf(OnnxException.class)
        .hasMessage(
            "Option 'optimization-level' = 'max' is invalid: expected none, basic, extended or all.");
  }
}
