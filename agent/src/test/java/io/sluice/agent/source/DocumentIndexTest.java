package io.sluice.agent.source;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** The per-file index of documents by which the manifest source skips parsing a document it read before. */
class DocumentIndexTest {

    @Property(tries = 500)
    void aDocumentChangedInOneCharacterHashesApartInBothLanes(@ForAll @StringLength(min = 1, max = 400) String text,
                                                              @ForAll @IntRange(min = 0, max = 399) int position,
                                                              @ForAll @CharRange(from = ' ', to = '~') char replacement) {
        Assume.that(position < text.length() && text.charAt(position) != replacement);
        String changed = text.substring(0, position) + replacement + text.substring(position + 1);
        for (int lane = 0; lane < 2; lane++) {
            assertThat(DocumentIndex.hashes(changed, 0, changed.length())[lane])
                    .isNotEqualTo(DocumentIndex.hashes(text, 0, text.length())[lane]);
        }
    }

    @Property(tries = 200)
    void aDocumentHashesAlikeWhereverItStandsInItsFile(@ForAll @StringLength(max = 200) String document,
                                                       @ForAll @StringLength(max = 50) String before,
                                                       @ForAll @StringLength(max = 50) String after) {
        String file = before + document + after;
        int from = before.length();
        int to = from + document.length();
        for (int lane = 0; lane < 2; lane++) {
            assertThat(DocumentIndex.hashes(file, from, to)[lane]).isEqualTo(DocumentIndex.hashes(document, 0, to - from)[lane]);
        }
    }

    @Test
    void theLanesAreDifferentHashes() {
        String text = "apiVersion: v1\nkind: Service\n";
        assertThat(DocumentIndex.hashes(text, 0, text.length())[0]).isNotEqualTo(DocumentIndex.hashes(text, 0, text.length())[1]);
        assertThat(DocumentIndex.hashes("", 0, 0)[0]).isNotEqualTo(DocumentIndex.hashes("", 0, 0)[1]);
    }

    @Test
    void documentsAreFoundByBothHashesWhereverTheyMovedWithTheirLinesAndObjects() {
        DocumentIndex index = new DocumentIndex();
        index.add(11, 12, 1, 0);   // a Service: object 0
        index.add(21, 22, 9, 1);   // a Deployment: no object
        index.add(31, 32, 20, 1);  // two objects (a List): 1 and 2
        long[] packed = index.toArray();
        assertThat(index.size()).isEqualTo(3);
        assertThat(packed).hasSize(9);

        assertThat(DocumentIndex.find(packed, 31, 32, 0)).as("moved from position 2 to 0").isEqualTo(2);
        assertThat(DocumentIndex.find(packed, 11, 12, 0)).isZero();
        assertThat(DocumentIndex.find(packed, 11, 13, 0)).as("one hash alone is no match").isEqualTo(-1);
        assertThat(DocumentIndex.find(packed, 11, 12, 7)).as("a hint past the end").isZero();
        assertThat(DocumentIndex.find(null, 11, 12, 0)).as("a file never read").isEqualTo(-1);

        assertThat(DocumentIndex.firstLine(packed, 2)).isEqualTo(20);
        assertThat(DocumentIndex.objectsFrom(packed, 0)).isZero();
        assertThat(DocumentIndex.objectsEnd(packed, 0, 3)).isEqualTo(1);
        assertThat(DocumentIndex.objectsFrom(packed, 1)).isEqualTo(1);
        assertThat(DocumentIndex.objectsEnd(packed, 1, 3)).as("no object").isEqualTo(1);
        assertThat(DocumentIndex.objectsEnd(packed, 2, 3)).isEqualTo(3);
    }
}
