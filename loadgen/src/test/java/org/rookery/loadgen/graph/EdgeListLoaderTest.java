package org.rookery.loadgen.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EdgeListLoaderTest {

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(EdgeListLoaderTest.class.getResource("/" + name).toURI());
    }

    /** Original ids of the followers of the node with original id {@code followee}. */
    private static List<Long> followersOf(EdgeListLoader.Loaded l, long followee) {
        List<Long> out = new ArrayList<>();
        int v = indexOf(l, followee);
        for (int i = l.graph().start(v); i < l.graph().end(v); i++) {
            out.add(l.originalIds()[l.graph().followerAt(i)]);
        }
        return out;
    }

    private static int indexOf(EdgeListLoader.Loaded l, long original) {
        for (int i = 0; i < l.originalIds().length; i++) {
            if (l.originalIds()[i] == original) {
                return i;
            }
        }
        throw new AssertionError("no node " + original);
    }

    @Test
    void readsAFriendshipEdgeListAsFollowsBothWays() throws Exception {
        EdgeListLoader.Loaded l = EdgeListLoader.load(resource("socfb-sample.edges"), true);

        assertThat(l.graph().users()).isEqualTo(6);
        assertThat(l.lines()).isEqualTo(8);
        assertThat(l.selfLoops()).isEqualTo(1);
        assertThat(l.duplicates()).isEqualTo(1);
        // 6 distinct friendships (1-0, 2-0, 3-0, 3-1, 4-2, 5-4), each a follow both ways.
        assertThat(l.graph().edges()).isEqualTo(12);
        assertThat(followersOf(l, 0)).containsExactlyInAnyOrder(1L, 2L, 3L);
        assertThat(followersOf(l, 3)).containsExactlyInAnyOrder(0L, 1L);
        assertThat(followersOf(l, 5)).containsExactly(4L);
    }

    @Test
    void readsADirectedListAsUFollowsV() throws Exception {
        EdgeListLoader.Loaded l = EdgeListLoader.load(resource("socfb-sample.edges"), false);

        assertThat(followersOf(l, 0)).containsExactlyInAnyOrder(1L, 2L, 3L);
        assertThat(followersOf(l, 1)).containsExactly(3L);
        assertThat(followersOf(l, 3)).containsExactly(1L);
        assertThat(l.graph().edges()).isEqualTo(7);
    }

    @Test
    void skipsTheSizeLineOfAMatrixMarketFile() throws Exception {
        EdgeListLoader.Loaded l = EdgeListLoader.load(resource("sample.mtx"), false);

        assertThat(l.graph().users()).isEqualTo(3);
        assertThat(followersOf(l, 20)).containsExactlyInAnyOrder(10L, 30L);
        assertThat(followersOf(l, 10)).containsExactly(20L);
    }

    @Test
    void acceptsTabsCommasHashCommentsAndExtraColumns() throws Exception {
        EdgeListLoader.Loaded l = EdgeListLoader.load(new StringReader("# SNAP style\n7\t8\n8,7,0.5\n\n9 7 1234567890\n"), false);

        assertThat(l.graph().edges()).isEqualTo(3);
        assertThat(followersOf(l, 7)).containsExactlyInAnyOrder(8L, 9L);
    }

    @Test
    void namesTheLineThatIsNotAnEdge() {
        assertThatThrownBy(() -> EdgeListLoader.load(new StringReader("1 2\nhello world\n"), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("line 2: 'hello world' (expected: integer node ids)");
    }
}
