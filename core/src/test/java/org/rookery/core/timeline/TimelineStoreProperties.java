package org.rookery.core.timeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

/**
 * Random operations on a few users against a simple model: per resident user a {@link TreeSet} of
 * ids capped at the capacity (an insert older than everything in a full timeline is refused, a
 * newer one pushes the oldest out), plus the least-recently-active choice of whom to evict when the
 * slots run out. Every user's whole timeline, the sizes and the entry count are compared after every
 * operation. The store has at most 16 slots, so it compares every resident when choosing whom to
 * evict and the model can predict the choice exactly.
 */
class TimelineStoreProperties {

    private static final long MINUTE = 60_000L;
    private static final long[] USERS = {-7L, 0L, 42L, 1L << 40, Long.MAX_VALUE};

    enum Kind { INSERT, DELIVER, REMOVE, REMOVE_IF_EVEN, READ, MAKE_RESIDENT, TOUCH, EVICT, EVICT_INACTIVE }

    /** {@code users} is a bit set over USERS; {@code a}, {@code b} are ids or bounds. */
    record Op(Kind kind, int user, int users, long a, long b, int limit) {}

    @Property(tries = 400)
    void behavesLikeCappedSortedSets(
            @ForAll @IntRange(min = 1, max = 6) int capacity,
            @ForAll @IntRange(min = 1, max = 4) int slots,
            @ForAll("ops") List<Op> ops) {
        TimelineStore store = new TimelineStore(capacity, TimelineStore.bytesFor(capacity, slots), 16);
        Model model = new Model(capacity, slots);
        long[] buf = new long[capacity + 2];
        long minute = 0;
        int step = 0;

        for (Op op : ops) {
            step++;
            long user = USERS[op.user()];
            String at = "step " + step + " " + op + " of " + ops;
            switch (op.kind()) {
                case INSERT -> assertThat(store.insert(user, op.a())).as(at).isEqualTo(model.insert(user, op.a()));
                case DELIVER -> {
                    int[] indexes = new int[USERS.length];
                    int n = 0;
                    int expected = 0;
                    for (int u = 0; u < USERS.length; u++) {
                        if ((op.users() & (1 << u)) != 0) {
                            int idx = store.indexOf(USERS[u]);
                            if (idx >= 0) {
                                indexes[n++] = idx;
                                expected += model.insert(USERS[u], op.a()) ? 1 : 0;
                            }
                        }
                    }
                    Arrays.sort(indexes, 0, n);
                    assertThat(store.deliver(indexes, n, op.a())).as(at).isEqualTo(expected);
                }
                case REMOVE -> assertThat(store.remove(user, op.a())).as(at).isEqualTo(model.remove(user, op.a()));
                case REMOVE_IF_EVEN -> {
                    int slot = store.slotOf(user);
                    int expected = model.removeEven(user);
                    if (slot >= 0) {
                        assertThat(store.removeIf(slot, id -> id % 2 == 0)).as(at).isEqualTo(expected);
                    }
                }
                case READ -> {
                    long maxId = op.a() <= 8 ? 0 : op.a(); // 0: no upper bound
                    long minId = Math.max(0, op.b() - 12);  // 0: no lower bound
                    int limit = Math.min(op.limit(), buf.length);
                    int n = store.read(user, maxId, minId, buf, limit);
                    long[] expected = model.read(user, maxId, minId, limit);
                    if (expected == null) {
                        assertThat(n).as(at).isEqualTo(-1);
                    } else {
                        assertThat(Arrays.copyOf(buf, Math.max(n, 0))).as(at).containsExactly(expected);
                    }
                }
                case MAKE_RESIDENT -> {
                    minute++; // every activity a minute apart: the least recently active is unique
                    assertThat(store.makeResident(user, minute * MINUTE)).as(at).isGreaterThanOrEqualTo(0);
                    model.makeResident(user, minute);
                }
                case TOUCH -> {
                    int slot = store.slotOf(user);
                    if (slot >= 0) {
                        minute++;
                        store.touch(slot, minute * MINUTE);
                        model.lastActive.put(user, minute);
                    }
                }
                case EVICT -> assertThat(store.evict(user)).as(at).isEqualTo(model.timelines.remove(user) != null);
                case EVICT_INACTIVE -> {
                    long cutoff = Math.max(0, minute - op.limit());
                    List<Long> inactive = new ArrayList<>();
                    for (long u : model.timelines.keySet()) {
                        if (model.lastActive.get(u) < cutoff) {
                            inactive.add(u);
                        }
                    }
                    inactive.forEach(model.timelines::remove);
                    assertThat(store.evictInactive(cutoff * MINUTE)).as(at).isEqualTo(inactive.size());
                }
            }
            for (long u : USERS) {
                long[] expected = model.read(u, 0, 0, capacity);
                int n = store.read(u, 0, 0, buf, buf.length);
                if (expected == null) {
                    assertThat(n).as("user %d not resident after %s", u, at).isEqualTo(-1);
                    assertThat(store.size(u)).isZero();
                } else {
                    assertThat(Arrays.copyOf(buf, Math.max(n, 0))).as("user %d after %s", u, at).containsExactly(expected);
                    assertThat(store.size(u)).isEqualTo(expected.length);
                }
            }
            assertThat(store.entries()).as(at).isEqualTo(model.entries());
            assertThat(store.residentUsers()).as(at).isEqualTo(model.timelines.size());
        }
    }

    /** Resident users' timelines as capped sorted sets, and when each user was last active. */
    static final class Model {
        final int capacity;
        final int slots;
        final Map<Long, TreeSet<Long>> timelines = new HashMap<>();
        final Map<Long, Long> lastActive = new HashMap<>();

        Model(int capacity, int slots) {
            this.capacity = capacity;
            this.slots = slots;
        }

        boolean insert(long user, long id) {
            TreeSet<Long> t = timelines.get(user);
            if (t == null || t.contains(id) || (t.size() == capacity && id < t.first())) {
                return false;
            }
            t.add(id);
            if (t.size() > capacity) {
                t.pollFirst();
            }
            return true;
        }

        boolean remove(long user, long id) {
            TreeSet<Long> t = timelines.get(user);
            return t != null && t.remove(id);
        }

        int removeEven(long user) {
            TreeSet<Long> t = timelines.get(user);
            if (t == null) {
                return 0;
            }
            int before = t.size();
            t.removeIf(id -> id % 2 == 0);
            return before - t.size();
        }

        long[] read(long user, long maxId, long minId, int limit) {
            TreeSet<Long> t = timelines.get(user);
            if (t == null) {
                return null;
            }
            return t.descendingSet().stream().filter(id -> (maxId == 0 || id < maxId) && id > minId)
                    .limit(limit).mapToLong(Long::longValue).toArray();
        }

        void makeResident(long user, long minute) {
            if (!timelines.containsKey(user)) {
                if (timelines.size() == slots) {
                    long victim = timelines.keySet().stream()
                            .min((x, y) -> Long.compare(lastActive.get(x), lastActive.get(y))).orElseThrow();
                    timelines.remove(victim);
                }
                timelines.put(user, new TreeSet<>());
            }
            lastActive.put(user, minute);
        }

        long entries() {
            return timelines.values().stream().mapToLong(TreeSet::size).sum();
        }
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Kind> kinds = Arbitraries.frequencyOf(
                Tuple.of(10, Arbitraries.just(Kind.INSERT)),
                Tuple.of(6, Arbitraries.just(Kind.DELIVER)),
                Tuple.of(3, Arbitraries.just(Kind.REMOVE)),
                Tuple.of(1, Arbitraries.just(Kind.REMOVE_IF_EVEN)),
                Tuple.of(3, Arbitraries.just(Kind.READ)),
                Tuple.of(4, Arbitraries.just(Kind.MAKE_RESIDENT)),
                Tuple.of(1, Arbitraries.just(Kind.TOUCH)),
                Tuple.of(1, Arbitraries.just(Kind.EVICT)),
                Tuple.of(1, Arbitraries.just(Kind.EVICT_INACTIVE)));
        // Ids from a small range so duplicates, out-of-order inserts and removals of present ids are common.
        Arbitrary<Long> ids = Arbitraries.longs().between(1, 40);
        return Combinators.combine(kinds, Arbitraries.integers().between(0, USERS.length - 1),
                        Arbitraries.integers().between(0, (1 << USERS.length) - 1), ids, ids,
                        Arbitraries.integers().between(0, 8))
                .as(Op::new).list().ofMinSize(1).ofMaxSize(60);
    }
}
