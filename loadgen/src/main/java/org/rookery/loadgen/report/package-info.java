/** Results of a run: the JSON result, the Markdown report, the console table and the PNG charts. */
@NullMarked
package org.rookery.loadgen.report;

import org.jspecify.annotations.NullMarked;
