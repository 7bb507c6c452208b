package org.rookery.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PasswordHasherTest {
    /** The cheapest cost the hasher accepts: these tests are about the format, not the cost. */
    private final PasswordHasher hasher = new PasswordHasher(64, 1);

    private static final String SALT = "AAAAAAAAAAAAAAAAAAAAAA";
    private static final String HASH = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    @Test
    void verifiesTheRightPasswordAndRefusesAWrongOne() {
        String encoded = hasher.hash("correct horse battery staple");

        assertThat(hasher.verify("correct horse battery staple", encoded)).isTrue();
        assertThat(hasher.verify("correct horse battery stapler", encoded)).isFalse();
        assertThat(hasher.verify("Correct horse battery staple", encoded)).isFalse();
        assertThat(hasher.verify("", encoded)).isFalse();
    }

    @Test
    void verifiesPasswordsOutsideAscii() {
        String encoded = hasher.hash("pässwörd 密码 🔑");

        assertThat(hasher.verify("pässwörd 密码 🔑", encoded)).isTrue();
        assertThat(hasher.verify("passwort 密码 🔑", encoded)).isFalse();
    }

    @Test
    void writesThePhcStringFormatWithItsCost() {
        String encoded = hasher.hash("correct horse");

        // 16 bytes of salt and 32 of hash in unpadded base64: 22 and 43 characters.
        assertThat(encoded).matches("\\$argon2id\\$v=19\\$m=64,t=1,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
        assertThat(new PasswordHasher(128, 3).hash("correct horse")).startsWith("$argon2id$v=19$m=128,t=3,p=1$");
    }

    @Test
    void hashesOfTheSamePasswordDifferBySalt() {
        String first = hasher.hash("correct horse");
        String second = hasher.hash("correct horse");

        assertThat(first).isNotEqualTo(second);
        assertThat(first.split("\\$")[4]).isNotEqualTo(second.split("\\$")[4]);
        assertThat(hasher.verify("correct horse", first)).isTrue();
        assertThat(hasher.verify("correct horse", second)).isTrue();
    }

    @Test
    void verifiesHashesMadeAtAnotherCost() {
        // The cost travels in the encoding, so raising it does not lock out existing accounts.
        String cheap = new PasswordHasher(32, 1).hash("correct horse");

        assertThat(new PasswordHasher(256, 4).verify("correct horse", cheap)).isTrue();
    }

    @Test
    void tamperedHashOrSaltDoesNotVerify() {
        String encoded = hasher.hash("correct horse");
        String[] parts = encoded.split("\\$");
        String otherSalt = parts[4].charAt(0) == 'A' ? "B" + parts[4].substring(1) : "A" + parts[4].substring(1);
        String otherHash = parts[5].charAt(0) == 'A' ? "B" + parts[5].substring(1) : "A" + parts[5].substring(1);

        assertThat(hasher.verify("correct horse", encoded.replace(parts[4], otherSalt))).isFalse();
        assertThat(hasher.verify("correct horse", encoded.replace(parts[5], otherHash))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "not a hash",
        "$argon2id$",
        "$argon2i$v=19$m=64,t=1,p=1$" + SALT + "$" + HASH,
        "$bcrypt$v=19$m=64,t=1,p=1$" + SALT + "$" + HASH,
        "$argon2id$v=19$m=64,t=1,p=1$" + SALT,
        "$argon2id$v=19$m=64,t=1,p=1$" + SALT + "$" + HASH + "$extra",
        "$argon2id$v=19$m=64,t=1,p=1$!!not base64!!$" + HASH,
        "$argon2id$v=19$m=64,t=1,p=1$" + SALT + "$!!not base64!!",
        "$argon2id$v=19$m=sixty-four,t=1,p=1$" + SALT + "$" + HASH,
        "$argon2id$v=19$x=64,t=1,p=1$" + SALT + "$" + HASH,
        "$argon2id$v=19$m$" + SALT + "$" + HASH,
        "$argon2id$v=19$m=64,t=1,p=1,$" + SALT + "$" + HASH,
        "$argon2id$v=19$m=64,t=1$" + SALT + "$" + HASH,
        "$argon2id$v=19$m=64,t=0,p=1$" + SALT + "$" + HASH,
        "$argon2id$v=19$m=64,t=1,p=0$" + SALT + "$" + HASH,
        "$argon2id$v=19$m=0,t=1,p=1$" + SALT + "$" + HASH,
        "$argon2id$v=19$m=64,t=1,p=1$" + SALT + "$",
        "$argon2id$v=19$m=64,t=1,p=1$" + SALT + "$AAAA",
        "$argon2id$v=19$m=64,t=1,p=1$$" + HASH,
    })
    void malformedEncodingsDoNotVerifyAndDoNotThrow(String encoded) {
        assertThat(hasher.verify("correct horse", encoded)).isFalse();
    }

    @Test
    void refusesCostsBelowTheMinimum() {
        assertThatThrownBy(() -> new PasswordHasher(7, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("memoryKb: 7 (expected: >= 8)");
        assertThatThrownBy(() -> new PasswordHasher(64, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("iterations: 0 (expected: >= 1)");
    }
}
