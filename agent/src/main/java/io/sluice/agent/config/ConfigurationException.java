package io.sluice.agent.config;

/** A setting of the agent's configuration is missing or invalid; the message names the setting. */
public final class ConfigurationException extends RuntimeException {
    private final String setting;

    public ConfigurationException(String setting, String message) {
        super(setting + ": " + message);
        this.setting = setting;
    }

    public ConfigurationException(String setting, String message, Throwable cause) {
        super(setting + ": " + message, cause);
        this.setting = setting;
    }

    /** The name of the offending setting as written in the YAML file, e.g. {@code maglevTableSize}. */
    public String setting() {
        return setting;
    }
}
