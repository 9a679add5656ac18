package org.dl4j.mixedprecision.spark;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.core.storage.Persistable;
import org.deeplearning4j.core.storage.StatsStorageRouter;
import org.deeplearning4j.core.storage.StorageMetaData;
import org.deeplearning4j.nn.api.Model;
import org.dl4j.mixedprecision.LossScaleStatus;
import org.dl4j.mixedprecision.MixedPrecision;

/**
 * The driver side of bringing the loss scale back: dl4j-spark hands it the workers' listener updates of
 * each averaging round before the next round starts; it sets the driver's network to the combination of the
 * workers' last states ({@link MixedPrecision#combineWorkerStates}), so that the next round's workers start
 * from a scale they found safe. Everything else is passed on to the user's own router, if any (DL4J's UI).
 */
final class LossScaleCollector implements StatsStorageRouter {

    private final Model driverNetwork;
    private final StatsStorageRouter next;

    /**
     * @param driverNetwork the network dl4j-spark averages into and broadcasts from
     * @param next          the user's router, or null
     */
    LossScaleCollector(Model driverNetwork, StatsStorageRouter next) {
        this.driverNetwork = driverNetwork;
        this.next = next;
    }

    @Override
    public void putUpdate(Persistable update) {
        putUpdate(List.of(update));
    }

    @Override
    public void putUpdate(Collection<? extends Persistable> updates) {
        Map<String, LossScaleStatus> lastByWorker = new LinkedHashMap<>();
        List<Persistable> others = new ArrayList<>();
        for (Persistable update : updates) {
            if (update instanceof LossScaleReport report) {
                lastByWorker.put(report.getWorkerID(), report.status());
            } else {
                others.add(update);
            }
        }
        MixedPrecision.combineWorkerStates(driverNetwork, new ArrayList<>(lastByWorker.values()));
        if (next != null && !others.isEmpty()) {
            next.putUpdate(others);
        }
    }

    @Override
    public void putStorageMetaData(StorageMetaData metaData) {
        if (next != null) {
            next.putStorageMetaData(metaData);
        }
    }

    @Override
    public void putStorageMetaData(Collection<? extends StorageMetaData> metaData) {
        if (next != null) {
            next.putStorageMetaData(metaData);
        }
    }

    @Override
    public void putStaticInfo(Persistable staticInfo) {
        if (next != null) {
            next.putStaticInfo(staticInfo);
        }
    }

    @Override
    public void putStaticInfo(Collection<? extends Persistable> staticInfo) {
        if (next != null) {
            next.putStaticInfo(staticInfo);
        }
    }
}
