package io.sluice.agent.cli;

import java.util.Locale;
import picocli.CommandLine;

/** How a command prints: aligned columns for people (the default) or JSON for scripts ({@code -o json}). */
public enum OutputFormat {
    TABLE,
    JSON;

    /** Parses {@code table} or {@code json} in any case; anything else is refused naming the option. */
    public static final class Converter implements CommandLine.ITypeConverter<OutputFormat> {
        @Override
        public OutputFormat convert(String value) {
            try {
                return OutputFormat.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("-o/--output: '" + value + "' is neither table nor json");
            }
        }
    }
}
