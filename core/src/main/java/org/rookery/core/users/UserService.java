package org.rookery.core.users;

import static java.util.Objects.requireNonNull;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.rookery.core.auth.PasswordHasher;
import org.rookery.core.config.Settings;
import org.rookery.core.error.RookeryException;
import org.rookery.core.event.Event;
import org.rookery.core.event.EventType;
import org.rookery.core.ids.IdGenerator;
import org.rookery.core.internal.CacheCounts;
import org.rookery.core.internal.RecordCache;
import org.rookery.core.internal.RecordCodec;
import org.rookery.core.internal.StripedLocks;
import org.rookery.core.model.Account;
import org.rookery.core.model.AccountCounts;
import org.rookery.core.store.Bytes;
import org.rookery.core.store.KeyValueStore;
import org.rookery.core.store.Table;
import org.rookery.core.store.WriteBatch;

/**
 * Accounts and credentials (Twitter's Gizmoduck): sign-up with handle rules, sign-in, profiles,
 * counts. Thread-safe; blocking (call from a blocking-task thread).
 *
 * <pre>{@code
 * Account a = users.register("alice", "alice@example.com", "correct horse", Registrations.OPEN);
 * Optional<Account> same = users.byHandle("ALICE");
 * }</pre>
 */
public final class UserService {
    public static final int HANDLE_MIN = 3;
    public static final int HANDLE_MAX = 30;
    public static final int PASSWORD_MIN = 8;
    public static final int PASSWORD_MAX = 128;
    public static final int DISPLAY_NAME_MAX = 30;
    public static final int NOTE_MAX = 500;

    private static final Pattern HANDLE = Pattern.compile("[A-Za-z0-9_]+");
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+");

    /** Counter kinds under {@code U + user id}. */
    public static final byte FOLLOWERS = 1;
    public static final byte FOLLOWING = 2;
    public static final byte STATUSES = 3;

    /** Counter of all accounts on this server. */
    public static final byte[] TOTAL_USERS = Bytes.utf8("total:users");
    /** Counter of all tweets on this server. */
    public static final byte[] TOTAL_TWEETS = Bytes.utf8("total:tweets");

    /** Stored credentials of one account. */
    public record Credential(String email, String passwordHash) {}

    private final KeyValueStore store;
    private final IdGenerator ids;
    private final InstantSource clock;
    private final PasswordHasher hasher;
    private final StripedLocks locks = new StripedLocks(256);
    /** Decoded accounts by id, for hydration; a profile change is never undone by a racing read. */
    private final RecordCache<Account> cache;
    private final int cacheAccounts;

    /** Default size of the decoded-account cache: the setting's ({@code rookery.accounts.cache.size}). */
    public static final int DEFAULT_CACHE_ACCOUNTS = Settings.ACCOUNT_CACHE_SIZE.defaultValue();

    public UserService(KeyValueStore store, IdGenerator ids, InstantSource clock, PasswordHasher hasher) {
        this(store, ids, clock, hasher, DEFAULT_CACHE_ACCOUNTS);
    }

    /** @param cacheAccounts how many decoded accounts to keep in memory (0: none) */
    public UserService(KeyValueStore store, IdGenerator ids, InstantSource clock, PasswordHasher hasher,
                       int cacheAccounts) {
        this.cache = new RecordCache<>(cacheAccounts);
        this.cacheAccounts = cacheAccounts;
        this.store = requireNonNull(store, "store");
        this.ids = requireNonNull(ids, "ids");
        this.clock = requireNonNull(clock, "clock");
        this.hasher = requireNonNull(hasher, "hasher");
    }

    /** Creates an account; fails naming the field on a bad or taken handle, e-mail or password. */
    public Account register(String handle, String email, String password, Registrations mode) {
        requireNonNull(handle, "handle");
        requireNonNull(email, "email");
        requireNonNull(password, "password");
        if (mode == Registrations.CLOSED) {
            throw RookeryException.forbidden("Registrations are closed on this server");
        }
        validateHandle(handle);
        if (email.length() > 254 || !EMAIL.matcher(email).matches()) {
            throw RookeryException.invalid("email", "is not a valid e-mail address");
        }
        if (password.length() < PASSWORD_MIN) {
            throw RookeryException.invalid("password", "is too short (minimum is " + PASSWORD_MIN + " characters)");
        }
        if (password.length() > PASSWORD_MAX) {
            throw RookeryException.invalid("password", "is too long (maximum is " + PASSWORD_MAX + " characters)");
        }
        String handleKey = handle.toLowerCase(Locale.ROOT);
        String emailKey = email.toLowerCase(Locale.ROOT);
        String passwordHash = hasher.hash(password); // outside the lock: it is slow on purpose
        return locks.with(StripedLocks.keyOf(handleKey), StripedLocks.keyOf(emailKey), () -> {
            if (store.get(Table.HANDLES, Bytes.utf8(handleKey)) != null) {
                throw RookeryException.invalid("username", "has already been taken");
            }
            if (store.get(Table.EMAILS, Bytes.utf8(emailKey)) != null) {
                throw RookeryException.invalid("email", "has already been taken");
            }
            long id = ids.nextId();
            long now = clock.millis();
            Account account = new Account(id, handle, handle, "", false, false, mode == Registrations.OPEN, now);
            WriteBatch batch = new WriteBatch()
                    .put(Table.ACCOUNTS, Bytes.key(id), RecordCodec.encode(account))
                    .put(Table.HANDLES, Bytes.utf8(handleKey), Bytes.key(id))
                    .put(Table.EMAILS, Bytes.utf8(emailKey), Bytes.key(id))
                    .put(Table.CREDENTIALS, Bytes.key(id), RecordCodec.encode(new Credential(email, passwordHash)))
                    .increment(Table.COUNTERS, TOTAL_USERS, 1)
                    .append(new Event(ids.nextId(), EventType.ACCOUNT_CREATED, id, id, 0, now));
            store.commit(batch);
            return account;
        });
    }

    /** Handles imported per store commit by {@link #importAccounts}. */
    static final int IMPORT_CHUNK = 1000;

    /**
     * Bulk import for operators and load generators: the account of each handle, in order, creating
     * those that do not exist yet. A created account is approved and has no e-mail and no password
     * (it cannot sign in by password; an operator issues it tokens), so no password is hashed. Each
     * chunk of {@value #IMPORT_CHUNK} handles is one atomic, durable commit of the accounts with
     * their {@code ACCOUNT_CREATED} events, the same records and events {@link #register} writes. A
     * handle repeated (in any case) gets the same account.
     *
     * @throws RookeryException 422 naming {@code username} if a handle is invalid; nothing is created
     */
    public List<Account> importAccounts(List<String> handles) {
        requireNonNull(handles, "handles");
        for (String h : handles) {
            validateHandle(requireNonNull(h, "handle"));
        }
        List<Account> out = new ArrayList<>(handles.size());
        for (int from = 0; from < handles.size(); from += IMPORT_CHUNK) {
            out.addAll(importChunk(handles.subList(from, Math.min(handles.size(), from + IMPORT_CHUNK))));
        }
        return out;
    }

    private List<Account> importChunk(List<String> handles) {
        String[] keys = new String[handles.size()];
        long[] lockKeys = new long[handles.size()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = handles.get(i).toLowerCase(Locale.ROOT);
            lockKeys[i] = StripedLocks.keyOf(keys[i]);
        }
        return locks.with(lockKeys, () -> {
            List<byte[]> handleKeys = new ArrayList<>(keys.length);
            for (String k : keys) {
                handleKeys.add(Bytes.utf8(k));
            }
            List<byte @Nullable []> found = store.multiGet(Table.HANDLES, handleKeys);
            long[] existingIds = found.stream().filter(v -> v != null).mapToLong(v -> Bytes.getLong(v, 0)).toArray();
            Map<Long, Account> existing = getAll(existingIds);
            Map<String, Account> byKey = new HashMap<>(keys.length * 2);
            WriteBatch batch = new WriteBatch();
            long now = clock.millis();
            int created = 0;
            List<Account> out = new ArrayList<>(keys.length);
            for (int i = 0; i < keys.length; i++) {
                Account a = byKey.get(keys[i]);
                byte[] id = found.get(i);
                if (a == null && id != null) {
                    a = existing.get(Bytes.getLong(id, 0));
                    if (a == null) {
                        throw new IllegalStateException("handle " + keys[i] + " points at a missing account");
                    }
                }
                if (a == null) {
                    long newId = ids.nextId();
                    String handle = handles.get(i);
                    a = new Account(newId, handle, handle, "", false, false, true, now);
                    batch.put(Table.ACCOUNTS, Bytes.key(newId), RecordCodec.encode(a))
                            .put(Table.HANDLES, Bytes.utf8(keys[i]), Bytes.key(newId))
                            .append(new Event(ids.nextId(), EventType.ACCOUNT_CREATED, newId, newId, 0, now));
                    created++;
                }
                byKey.put(keys[i], a);
                out.add(a);
            }
            if (created > 0) {
                batch.increment(Table.COUNTERS, TOTAL_USERS, created);
                store.commit(batch);
            }
            return out;
        });
    }

    public static void validateHandle(String handle) {
        if (handle.length() < HANDLE_MIN || handle.length() > HANDLE_MAX) {
            throw RookeryException.invalid("username",
                    "must be " + HANDLE_MIN + " to " + HANDLE_MAX + " characters (was " + handle.length() + ")");
        }
        if (!HANDLE.matcher(handle).matches()) {
            throw RookeryException.invalid("username", "must contain only letters, numbers and underscores");
        }
    }

    /** The account whose e-mail or handle is {@code login} and whose password matches, if any. */
    public Optional<Account> authenticate(String login, String password) {
        String key = login.toLowerCase(Locale.ROOT);
        byte[] idBytes = store.get(Table.EMAILS, Bytes.utf8(key));
        if (idBytes == null) {
            idBytes = store.get(Table.HANDLES, Bytes.utf8(key.startsWith("@") ? key.substring(1) : key));
        }
        if (idBytes == null) {
            hasher.hash(password); // same cost whether or not the account exists
            return Optional.empty();
        }
        long id = Bytes.getLong(idBytes, 0);
        byte[] cred = store.get(Table.CREDENTIALS, Bytes.key(id));
        if (cred == null || !hasher.verify(password, RecordCodec.decode(cred, Credential.class).passwordHash())) {
            return Optional.empty();
        }
        return get(id);
    }

    public Optional<Account> get(long id) {
        Account cached = cache.getIfPresent(id);
        if (cached != null) {
            return Optional.of(cached);
        }
        long stamp = cache.stamp();
        byte[] v = store.get(Table.ACCOUNTS, Bytes.key(id));
        if (v == null) {
            return Optional.empty();
        }
        Account a = RecordCodec.decode(v, Account.class);
        cache.putLoaded(stamp, id, a);
        return Optional.of(a);
    }

    /** The account or a 404. */
    public Account require(long id) {
        return get(id).orElseThrow(RookeryException::notFound);
    }

    public Optional<Account> byHandle(String handle) {
        String h = handle.startsWith("@") ? handle.substring(1) : handle;
        int at = h.indexOf('@');
        if (at >= 0) {
            h = h.substring(0, at); // local accounts only: user@this-domain
        }
        byte[] id = store.get(Table.HANDLES, Bytes.utf8(h.toLowerCase(Locale.ROOT)));
        return id == null ? Optional.empty() : get(Bytes.getLong(id, 0));
    }

    /** Accounts by id in one multiget; missing ones are left out. */
    public Map<Long, Account> getAll(long[] ids) {
        Map<Long, Account> out = new HashMap<>(ids.length * 2);
        for (Account a : getEach(ids)) {
            if (a != null) {
                out.put(a.id(), a);
            }
        }
        return out;
    }

    /**
     * The accounts of {@code ids} in their order, null where one does not exist: the cached ones
     * from memory, the rest in one multiget. No map of boxed ids, for the authors of a page.
     */
    public @Nullable Account[] getEach(long[] ids) {
        return cache.getEach(ids, new Account[ids.length], this::load);
    }

    /** The accounts of {@code ids} from the store, in one multiget; null where one does not exist. */
    private @Nullable Account[] load(long[] ids) {
        return RecordCodec.decodeEach(store.multiGet(Table.ACCOUNTS, Bytes.keys(ids)), new Account[ids.length],
                Account.class);
    }

    public AccountCounts counts(long id) {
        return countsEach(new long[] {id})[0];
    }

    /** {@link #counts} of many accounts in one multiget, in the order of {@code ids}. */
    public AccountCounts[] countsEach(long[] ids) {
        List<byte[]> keys = new ArrayList<>(ids.length * 3);
        for (long id : ids) {
            keys.add(counterKey(id, FOLLOWERS));
            keys.add(counterKey(id, FOLLOWING));
            keys.add(counterKey(id, STATUSES));
        }
        List<byte @Nullable []> v = store.multiGet(Table.COUNTERS, keys);
        AccountCounts[] out = new AccountCounts[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = new AccountCounts(count(v.get(3 * i)), count(v.get(3 * i + 1)), count(v.get(3 * i + 2)));
        }
        return out;
    }

    private static long count(byte @Nullable [] v) {
        return v == null ? 0 : Math.max(0, Bytes.fromLittleEndian(v));
    }

    /** Accounts and tweets on this server, for the instance statistics. */
    public long[] totals() {
        return new long[] {store.counter(Table.COUNTERS, TOTAL_USERS), store.counter(Table.COUNTERS, TOTAL_TWEETS)};
    }

    public static byte[] counterKey(long userId, byte kind) {
        byte[] k = new byte[10];
        k[0] = 'U';
        Bytes.putLong(k, 1, userId);
        k[9] = kind;
        return k;
    }

    /** Updates the profile fields that are non-null; returns the new account. */
    public Account updateProfile(long id, @Nullable String displayName, @Nullable String note,
                                 @Nullable Boolean locked, @Nullable Boolean bot) {
        if (displayName != null && displayName.codePointCount(0, displayName.length()) > DISPLAY_NAME_MAX) {
            throw RookeryException.invalid("display_name", "is too long (maximum is " + DISPLAY_NAME_MAX + " characters)");
        }
        if (note != null && note.codePointCount(0, note.length()) > NOTE_MAX) {
            throw RookeryException.invalid("note", "is too long (maximum is " + NOTE_MAX + " characters)");
        }
        return locks.with(id, () -> {
            Account a = require(id);
            Account updated = a.withProfile(
                    displayName != null ? displayName : a.displayName(),
                    note != null ? note : a.note(),
                    locked != null ? locked : a.locked(),
                    bot != null ? bot : a.bot());
            store.commit(new WriteBatch()
                    .put(Table.ACCOUNTS, Bytes.key(id), RecordCodec.encode(updated))
                    .append(new Event(ids.nextId(), EventType.ACCOUNT_UPDATED, id, id, 0, clock.millis())));
            cache.invalidate(id);
            return updated;
        });
    }

    /** Approves an account that signed up while registrations needed approval. */
    public Account approve(long id) {
        return locks.with(id, () -> {
            Account updated = require(id).withApproved(true);
            store.commit(new WriteBatch()
                    .put(Table.ACCOUNTS, Bytes.key(id), RecordCodec.encode(updated))
                    .append(new Event(ids.nextId(), EventType.ACCOUNT_UPDATED, id, id, 0, clock.millis())));
            cache.invalidate(id);
            return updated;
        });
    }

    /** The e-mail of an account (shown only to its owner). */
    public Optional<String> email(long id) {
        byte[] cred = store.get(Table.CREDENTIALS, Bytes.key(id));
        return cred == null ? Optional.empty() : Optional.of(RecordCodec.decode(cred, Credential.class).email());
    }

    /** Lookups of decoded accounts answered from memory and from the store. */
    public CacheCounts accountCache() {
        return cache.counts();
    }

    /** How many decoded accounts are kept in memory; per-account caches elsewhere are sized alike. */
    public int accountCacheSize() {
        return cacheAccounts;
    }
}
