package org.rookery.core.users;

import java.util.Locale;

/** Whether sign-up is open, needs approval, or is closed. */
public enum Registrations {
    OPEN, APPROVAL, CLOSED;

    public static Registrations parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "open" -> OPEN;
            case "approval" -> APPROVAL;
            case "closed" -> CLOSED;
            default -> throw new IllegalArgumentException("rookery.registrations: " + s + " (expected: open, approval or closed)");
        };
    }
}
