package org.rookery.loadgen.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PageSizesTest {

    private static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void countsTheTopLevelElementsOfAnArrayNotTheNestedOnes() {
        assertThat(PageSizes.countArrayElements(json("[]"))).isZero();
        assertThat(PageSizes.countArrayElements(json("[{\"id\":\"1\",\"mentions\":[{\"id\":\"2\"},{\"id\":\"3\"}],"
                + "\"reblog\":{\"id\":\"4\",\"tags\":[1,2,3]}},{\"id\":\"5\"}]"))).isEqualTo(2);
    }

    @Test
    void anAnswerThatIsNotAnArrayIsNotCounted() {
        assertThat(PageSizes.countArrayElements(json("{\"error\":\"x\"}"))).isEqualTo(-1);
        assertThat(PageSizes.countArrayElements(json("[{\"id\":1},"))).isEqualTo(-1);
        assertThat(PageSizes.countArrayElements(json("not json"))).isEqualTo(-1);
    }

    @Test
    void samplesOneAnswerInEveryNAndSummarisesThem() {
        PageSizes p = new PageSizes(2, 3);
        List<Boolean> chosen = new ArrayList<>();
        for (String body : List.of("[1,2,3]", "[9]", "[]", "[1]", "[1,2]")) {
            boolean sampled = p.sampleNext(); // decided before the request; the others are never read
            chosen.add(sampled);
            if (sampled) {
                p.count(json(body)); // full, empty, two of three
            }
        }
        assertThat(chosen).containsExactly(true, false, true, false, true);
        assertThat(p.sampled()).isEqualTo(3);
        assertThat(p.meanStatuses()).isCloseTo(5 / 3.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(p.summary()).containsEntry("sampled", 3L).containsEntry("sample_every", 2)
                .containsEntry("mean_statuses", 1.67).containsEntry("full_pages", 0.333).containsEntry("empty_pages", 0.333);
    }

    @Test
    void noSampleGivesNoMean() {
        PageSizes p = new PageSizes(16, 20);
        assertThat(p.summary()).containsEntry("sampled", 0L).containsEntry("mean_statuses", null);
        assertThatThrownBy(() -> new PageSizes(0, 20)).isInstanceOf(IllegalArgumentException.class);
    }
}
