package io.sluice.testnet;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test (class or method) that needs the kernel: root, bpffs, a cgroup v2 mount, {@code ip} and
 * {@code socat}. When something is missing the test is skipped with a message naming it, except when the
 * environment variable {@code CI} is {@code true}: then it fails, so CI never passes by skipping. Also sweeps the
 * leftovers of dead runs once per JVM ({@link Sweeper}).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Tag("kernel")
@ExtendWith(KernelTestExtension.class)
public @interface KernelTest {
}
