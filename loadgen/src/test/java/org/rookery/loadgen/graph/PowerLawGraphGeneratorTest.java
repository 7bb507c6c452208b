package org.rookery.loadgen.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class PowerLawGraphGeneratorTest {

    /**
     * The discrete power-law exponent by maximum likelihood (Clauset, Shalizi and Newman 2009,
     * eq. 3.7) over counts of at least {@code kmin}.
     */
    static double fitExponent(int[] counts, int kmin) {
        double sum = 0;
        long n = 0;
        for (int k : counts) {
            if (k >= kmin) {
                sum += Math.log(k / (kmin - 0.5));
                n++;
            }
        }
        return 1 + n / sum;
    }

    @ParameterizedTest(name = "exponent {0}, mean {1}, seed {2}")
    @CsvSource({"2.1, 20, 11", "2.5, 20, 12", "3.0, 30, 13"})
    void followerCountsFollowThePowerLawAskedFor(double exponent, double mean, long seed) {
        FollowerGraph g = PowerLawGraphGenerator.builder(50_000).meanFollowers(mean).exponent(exponent).seed(seed).build().generate();
        int[] counts = g.followerCounts();
        int kmin = (int) Math.ceil(2 * PowerLawGraphGenerator.solveMinimum(mean, exponent, g.users() - 1)) + 5;

        assertThat(fitExponent(counts, kmin)).as("fitted exponent over counts >= %d, seed %d", kmin, seed)
                .isCloseTo(exponent, within(0.1));
        assertThat((double) g.edges() / g.users()).as("mean followers, seed %d", seed).isCloseTo(mean, within(mean * 0.1));
    }

    @Test
    void theHeavyTailReachesFarAboveTheMean() {
        long seed = 7;
        FollowerGraph g = PowerLawGraphGenerator.builder(100_000).meanFollowers(50).exponent(2.2).seed(seed).build().generate();

        assertThat(g.maxFollowers()).as("most followed account, seed %d", seed).isGreaterThan(50 * 50);
    }

    @Test
    void theSameSeedGivesTheSameGraphAndAnotherSeedAnother() {
        PowerLawGraphGenerator.Builder b = PowerLawGraphGenerator.builder(5_000).meanFollowers(30).exponent(2.2).celebrities(4_000);

        FollowerGraph a = b.seed(42).build().generate();
        FollowerGraph again = b.seed(42).build().generate();
        FollowerGraph other = b.seed(43).build().generate();

        assertThat(again).isEqualTo(a);
        assertThat(other).isNotEqualTo(a);
    }

    @Test
    void celebritiesGetExactlyTheirFollowersAndNobodyFollowsTwiceOrThemselves() {
        long seed = 3;
        FollowerGraph g = PowerLawGraphGenerator.builder(20_000).meanFollowers(20).exponent(2.2)
                .celebrities(19_999, 5_000).seed(seed).build().generate();

        assertThat(g.followerCount(0)).as("seed %d", seed).isEqualTo(19_999);
        assertThat(g.followerCount(1)).as("seed %d", seed).isEqualTo(5_000);
        for (int u = 0; u < g.users(); u++) {
            Set<Integer> seen = new HashSet<>();
            for (int i = g.start(u); i < g.end(u); i++) {
                int f = g.followerAt(i);
                assertThat(f).as("follower of %d, seed %d", u, seed).isNotEqualTo(u).isBetween(0, g.users() - 1);
                assertThat(seen.add(f)).as("%d follows %d once, seed %d", f, u, seed).isTrue();
            }
        }
    }

    @Test
    void rejectsSettingsThatCannotMakeAGraph() {
        assertThatThrownBy(() -> PowerLawGraphGenerator.builder(1)).hasMessage("users: 1 (expected: >= 2)");
        assertThatThrownBy(() -> PowerLawGraphGenerator.builder(10).exponent(1.0))
                .hasMessageStartingWith("exponent: 1.0 (expected:");
        assertThatThrownBy(() -> PowerLawGraphGenerator.builder(10).meanFollowers(10))
                .hasMessage("meanFollowers: 10.0 (expected: 0..9)");
    }

    @Test
    void aMeanOfZeroGivesNoFollows() {
        FollowerGraph g = PowerLawGraphGenerator.builder(100).meanFollowers(0).seed(1).build().generate();

        assertThat(g.edges()).isZero();
        assertThat(Arrays.stream(g.followerCounts()).sum()).isZero();
    }
}
