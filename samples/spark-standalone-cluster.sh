#!/usr/bin/env bash
# Runs samples/.../spark/MnistLeNetSpark against a real Spark 3.1.2 standalone cluster on this machine:
# a Master JVM, a Worker JVM and two executor JVMs (1 core each) launched by the Worker, plus the driver JVM.
# No Spark distribution is needed: a stand-in SPARK_HOME holds (symlinks to) the samples module's runtime jars,
# which is all the Worker's executor launcher (org.apache.spark.launcher.WorkerCommandBuilder) reads.
#
#   samples/spark-standalone-cluster.sh [sample options...]     (default: --train 1000 --test 500 --epochs 1)
#
# Prerequisite: the project is installed (mvn -B install -DskipTests): ~/.m2 and samples/target hold its jars.
# Every JVM this script starts is stopped when it exits (trap), executors included.
# Outputs: $OUT/{cp.txt,master.log,worker.log,driver.log}; executor logs: $SPARK_HOME/work/app-*/<id>/stderr.
# Local-mode comparison on the same jars (same numbers expected):
#   java -Xmx4g @dl4j-mixedprecision-spark/java17-spark.args -Dorg.bytedeco.javacpp.cachedir=$HOME/.javacpp/cache \
#     -cp "samples/target/sparkhome/jars/*" org.dl4j.mixedprecision.samples.spark.MnistLeNetSpark --train 1000 --test 500 --epochs 1
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
SH=$REPO/samples/target/sparkhome
OUT=$REPO/samples/target/spark-cluster
ARGS_FILE=$REPO/dl4j-mixedprecision-spark/java17-spark.args   # --add-opens flags Spark 3.1 needs on Java 17
CACHE=$HOME/.javacpp/cache
SNAPSHOTS=$HOME/.m2/repository/org/dl4j/mixedprecision
MASTER_URL=spark://127.0.0.1:7077
SAMPLE_ARGS=("$@"); [ ${#SAMPLE_ARGS[@]} -gt 0 ] || SAMPLE_ARGS=(--train 1000 --test 500 --epochs 1)

export OMP_NUM_THREADS=1          # the executors inherit the Worker's environment
export SPARK_LOCAL_IP=127.0.0.1
export SPARK_SCALA_VERSION=2.12   # the launcher would otherwise look for launcher/target/scala-* dirs
export SPARK_HOME=$SH             # read by the Worker to build the executors' classpath: $SPARK_HOME/jars/*
mkdir -p "$OUT"

# 1. Stand-in SPARK_HOME: jars/ = the samples module's runtime classpath + the samples jar.
( cd "$REPO" && mvn -B -q -o dependency:build-classpath -pl samples -Dmdep.outputFile="$OUT/cp.txt" )
rm -rf "$SH"; mkdir -p "$SH/jars" "$SH/work"
tr ':' '\n' < "$OUT/cp.txt" | while read -r jar; do
  case "$jar" in
    # the project's own SNAPSHOT jars are copied, so a reinstall mid-run cannot change them under the JVMs
    "$SNAPSHOTS"/*) cp "$jar" "$SH/jars/" ;;
    *) ln -s "$jar" "$SH/jars/" ;;
  esac
done
cp "$REPO"/samples/target/samples-*.jar "$SH/jars/"
echo "SPARK_HOME=$SH: $(ls "$SH/jars" | wc -l) jars"

# Java 17 flags, one line for executor JVM options
OPENS=$(grep -v '^\s*$' "$ARGS_FILE" | tr '\n' ' ')
# Spark daemons: INFO for Spark's own classes (the samples jar's simplelogger.properties says error)
TIME_LOG="-Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS"
DAEMON_LOG=(-Dorg.slf4j.simpleLogger.log.org.apache.spark=info $TIME_LOG)

PIDS=()
cleanup() {
  # Worker first: its shutdown hook kills the executor JVMs it launched; then the Master.
  for (( i=${#PIDS[@]}-1; i>=0; i-- )); do kill "${PIDS[i]}" 2>/dev/null || true; sleep 3; done
  for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null || true; done
  # any executor JVM left behind (found by its SPARK_HOME classpath and CoarseGrainedExecutorBackend)
  for p in $(pgrep -f "CoarseGrainedExecutorBackend.*$MASTER_URL|$SH/jars.*CoarseGrainedExecutorBackend" || true); do
    kill "$p" 2>/dev/null || true
  done
  sleep 1
  if pgrep -f "$SH/jars" >/dev/null; then echo "WARNING: still running:"; pgrep -af "$SH/jars" | cut -c1-150
  else echo "cleanup: no JVM with $SH/jars on its classpath left running"; fi
}
trap cleanup EXIT

# 2. Master (own JVM)
java -Xmx512m @"$ARGS_FILE" "${DAEMON_LOG[@]}" -cp "$SH/jars/*" \
  org.apache.spark.deploy.master.Master --host 127.0.0.1 --port 7077 --webui-port 8089 \
  > "$OUT/master.log" 2>&1 &
PIDS+=($!)
for i in $(seq 60); do grep -q "I have been elected leader" "$OUT/master.log" && break; sleep 1; done
grep -q "I have been elected leader" "$OUT/master.log" || { echo "Master did not start"; tail -30 "$OUT/master.log"; exit 1; }

# 3. Worker (own JVM): 2 cores, 6g for executors; launches executors with $SPARK_HOME/jars/*
java -Xmx512m @"$ARGS_FILE" "${DAEMON_LOG[@]}" -cp "$SH/jars/*" \
  org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 2 --memory 6g --webui-port 8090 \
  --work-dir "$SH/work" "$MASTER_URL" > "$OUT/worker.log" 2>&1 &
PIDS+=($!)
for i in $(seq 60); do grep -q "Successfully registered with master" "$OUT/worker.log" && break; sleep 1; done
grep -q "Successfully registered with master" "$OUT/worker.log" || { echo "Worker did not register"; tail -30 "$OUT/worker.log"; exit 1; }

# 4. Driver: spark.* system properties reach SparkConf, so spark.master overrides the sample's local[*].
#    2 executors of 1 core each (cores.max=2, executor.cores=1); they need the --add-opens flags too.
EXEC_OPTS="$OPENS -Dorg.bytedeco.javacpp.cachedir=$CACHE -Dorg.slf4j.simpleLogger.log.org.apache.spark.executor=info -Dorg.slf4j.simpleLogger.log.org.apache.spark.broadcast=info $TIME_LOG"
start=$(date +%s)
set +e
java -Xmx4g @"$ARGS_FILE" -Dspark.master="$MASTER_URL" -Dspark.driver.host=127.0.0.1 \
  -Dspark.executor.extraJavaOptions="$EXEC_OPTS" -Dspark.executorEnv.OMP_NUM_THREADS=1 \
  -Dspark.executor.memory=3g -Dspark.cores.max=2 -Dspark.executor.cores=1 \
  -Dorg.bytedeco.javacpp.cachedir="$CACHE" -cp "$SH/jars/*" \
  org.dl4j.mixedprecision.samples.spark.MnistLeNetSpark "${SAMPLE_ARGS[@]}" 2>&1 | tee "$OUT/driver.log"
rc=${PIPESTATUS[0]}
set -e
echo "driver exit $rc, wall $(( $(date +%s) - start )) s"

# 5. Evidence: the Master granted two executors; the Worker launched each in its own JVM, with its own work dir
#    (stderr = that JVM's log: its pid, the tasks it ran, the broadcasts it read and deserialized itself)
grep -E "Registering worker|Launching executor" "$OUT/master.log" || true
grep -E "Asked to launch executor|finished with state" "$OUT/worker.log" || true
for d in "$SH"/work/app-*/*/; do
  echo "== executor work dir $d"
  grep -hE "Started daemon with process name|Running task|Reading broadcast variable" "$d/stderr" || true
done
exit "$rc"
