package io.sluice.lab;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test that builds a real lab (root, network namespaces, cgroup v2, bpffs, python3). When something is
 * missing the test is skipped naming it, except when the environment variable {@code CI} is {@code true}: then it
 * fails, so CI never passes by skipping. Labs of dead test JVMs are swept first.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Tag("kernel")
@ExtendWith(LabKernelTestExtension.class)
public @interface LabKernelTest {
}
