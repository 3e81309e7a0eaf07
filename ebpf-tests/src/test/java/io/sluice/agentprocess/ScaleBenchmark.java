package io.sluice.agentprocess;

import io.sluice.testnet.KernelTest;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The opt-in header and the sizes shared by the agent scale benchmarks ({@link AgentScaleBenchmark} for a manifest
 * folder, {@link AgentApiScaleBenchmark} for the Kubernetes API): they need the kernel and run only with
 * {@code -Dsluice.bench=true}, as they take minutes on this machine.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@KernelTest
@EnabledIfSystemProperty(named = "sluice.bench", matches = "true")
@interface ScaleBenchmark {
    /** Services in the cluster, each with one EndpointSlice. */
    int SERVICES = 10_000;
    /** Endpoints per Service (its slice). */
    int ENDPOINTS = 10;
    /** Endpoint changes per second in a churn. */
    int CHANGES_PER_SECOND = 1_000;
    /** System property: seconds of churn in the agent process benchmarks (each has its own default). */
    String CHURN_SECONDS_PROPERTY = "sluice.bench.churnSeconds";
}
