package org.rookery.core.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The build-checked layering (Kafka's import-control habit): core is the centre and depends on no
 * adapter, no server and no I/O framework, only on the JDK and a few pure libraries.
 */
class LayeringTest {
    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.rookery.core");

    @Test
    void coreImportsNoAdapterAndNoServerCode() {
        noClasses().that().resideInAPackage("org.rookery.core..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "org.rookery.embedded..", "org.rookery.server..", "org.rookery.cluster..",
                        "org.rookery.search..", "org.rookery.bench..")
                .check(CORE);
    }

    @Test
    void coreUsesOnlyTheJdkAndPureLibraries() {
        classes().that().resideInAPackage("org.rookery.core..")
                .should().onlyDependOnClassesThat().resideInAnyPackage(
                        "org.rookery.core..", "java..", "javax.annotation..", "org.jspecify..",
                        "com.twitter.twittertext..", "org.bouncycastle.crypto..", "com.fasterxml.jackson..",
                        "com.github.benmanes.caffeine..")
                .check(CORE);
    }
}
