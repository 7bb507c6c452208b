package org.rookery.core.model;

/**
 * A user's public profile (Gizmoduck's record). Counts live in counters, not here.
 *
 * @param locked a protected account: follows need approval and posts are visible to followers only
 * @param approved false while sign-up awaits an administrator's approval
 */
public record Account(
        long id,
        String handle,
        String displayName,
        String note,
        boolean locked,
        boolean bot,
        boolean approved,
        long createdAtMillis) {

    public Account withProfile(String displayName, String note, boolean locked, boolean bot) {
        return new Account(id, handle, displayName, note, locked, bot, approved, createdAtMillis);
    }

    public Account withApproved(boolean approved) {
        return new Account(id, handle, displayName, note, locked, bot, approved, createdAtMillis);
    }
}
