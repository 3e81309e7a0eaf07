package io.sluice.lab;

import java.util.ArrayList;
import java.util.List;

/** A text table in the style of kubectl: upper-case headers, columns padded by two spaces. */
final class Table {
    private final List<String[]> rows = new ArrayList<>();

    Table(String... headers) {
        rows.add(headers);
    }

    Table row(Object... cells) {
        String[] row = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            row[i] = cells[i] == null ? "-" : cells[i].toString();
        }
        rows.add(row);
        return this;
    }

    List<String> lines() {
        int columns = rows.getFirst().length;
        int[] width = new int[columns];
        for (String[] row : rows) {
            for (int i = 0; i < columns; i++) {
                width[i] = Math.max(width[i], i < row.length ? row[i].length() : 0);
            }
        }
        List<String> lines = new ArrayList<>();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                String cell = i < row.length ? row[i] : "";
                line.append(cell);
                if (i < columns - 1) {
                    line.append(" ".repeat(width[i] - cell.length() + 2));
                }
            }
            lines.add(line.toString().stripTrailing());
        }
        return lines;
    }

    @Override
    public String toString() {
        return String.join("\n", lines()) + "\n";
    }
}
