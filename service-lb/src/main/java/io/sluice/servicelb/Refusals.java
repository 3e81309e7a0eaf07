package io.sluice.servicelb;

import java.util.ArrayList;
import java.util.List;

/** Collects refusals during one translation; owned by one thread. */
final class Refusals {

    private final List<Refusal> refusals;

    Refusals() {
        this(new ArrayList<>());
    }

    /** Refusals added to {@code into}. */
    Refusals(List<Refusal> into) {
        this.refusals = into;
    }

    void add(ObjectRef object, String field, RefusalReason reason, String message) {
        refusals.add(new Refusal(object, field, reason, message));
    }

    List<Refusal> list() {
        return refusals;
    }
}
