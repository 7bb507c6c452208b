package org.rookery.loadgen.run;

/** How one request ended, as the result counts it. */
public enum Outcome {
    /** A 2xx answer. */
    OK,
    /** The server refused the request to protect itself: 429 or 503. Counted apart from errors. */
    SHED,
    /** Any other answer, a timeout, or a broken connection. */
    ERROR;

    public static Outcome of(int status) {
        if (status >= 200 && status < 300) {
            return OK;
        }
        return status == 429 || status == 503 ? SHED : ERROR;
    }
}
