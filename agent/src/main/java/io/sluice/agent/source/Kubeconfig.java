package io.sluice.agent.source;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.utils.Utils;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A kubeconfig file read into the client {@link Config} that fabric8's {@code Config.fromKubeconfig(null, contents,
 * path)} gives (its current context, paths resolved against the file's folder, then the system properties and
 * environment variables over it), but parsed with the agent's own serialization ({@link KubernetesSource#serialization()}).
 *
 * <p>Why: fabric8 parses the file through its static {@code Serialization}, whose mapper, on its first object, looks up
 * every model class of every API group on the class path: some 700 classes (batch, gateway API, resource,
 * flowcontrol...) loaded for nothing and held in metaspace for good, on the production path of an agent started with
 * a kubeconfig. In-cluster start ({@code Config.autoConfigure}) reads no kubeconfig and never needed this.
 *
 * <p>The rest is fabric8's own: {@code KubeConfigUtils.merge} picks the context and resolves relative certificate,
 * key and exec command paths against the file each context, cluster and user came from, which fabric8's parse
 * records in their additional properties under the keys below. An {@code exec} credential plugin is still run
 * through fabric8's static serialization (it parses the plugin's output): only such kubeconfigs pay the lookup.
 */
public final class Kubeconfig {
    // Keys under which fabric8's KubeConfigUtils.parseConfig records the source file of each entry (KubeConfigUtils'
    // constants of the same names, private there); merge reads them to resolve relative paths.
    static final String CONTEXT_FILE_KEY = "KUBERNETES_CONFIG_CONTEXT_FILE_KEY";
    static final String CLUSTER_FILE_KEY = "KUBERNETES_CONFIG_CLUSTER_FILE_KEY";
    static final String AUTH_INFO_FILE_KEY = "KUBERNETES_CONFIG_AUTH_INFO_FILE_KEY";

    private Kubeconfig() {
    }

    /**
     * The client configuration of {@code file}'s current context, parsed with {@code serialization}.
     *
     * @throws IllegalStateException naming the file when it cannot be read, is empty or is no kubeconfig
     */
    public static Config read(Path file, KubernetesSerialization serialization) {
        io.fabric8.kubernetes.api.model.Config parsed;
        try (InputStream in = Files.newInputStream(file)) {
            parsed = serialization.unmarshal(in, io.fabric8.kubernetes.api.model.Config.class);
        } catch (IOException e) {
            throw new IllegalStateException("kubeconfig " + file + ": cannot be read: " + e, e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("kubeconfig " + file + ": " + e.getMessage(), e);
        }
        if (parsed == null) {
            throw new IllegalStateException("kubeconfig " + file + ": is empty");
        }
        File source = file.toFile();
        if (parsed.getContexts() != null) {
            parsed.getContexts().forEach(c -> c.getAdditionalProperties().put(CONTEXT_FILE_KEY, source));
        }
        if (parsed.getClusters() != null) {
            parsed.getClusters().forEach(c -> c.getAdditionalProperties().put(CLUSTER_FILE_KEY, source));
        }
        if (parsed.getUsers() != null) {
            parsed.getUsers().forEach(u -> u.getAdditionalProperties().put(AUTH_INFO_FILE_KEY, source));
        }
        try {
            Config config = Config.empty();
            KubeConfigUtils.merge(config, null, parsed);
            if (!Utils.getSystemPropertyOrEnvVar(Config.KUBERNETES_DISABLE_AUTO_CONFIG_SYSTEM_PROPERTY, false)) {
                Config.configFromSysPropsOrEnvVars(config);
            }
            return config;
        } catch (RuntimeException e) {
            throw new IllegalStateException("kubeconfig " + file + ": " + e.getMessage(), e);
        }
    }
}
