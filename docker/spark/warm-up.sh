#!/bin/sh
# Run at image build time: start Spark's JVMs once and record the classes they load in two
# class-data-sharing (CDS) archives. JVMs started later map those classes instead of loading and
# verifying them again: a master comes up in about a third of the time.
#   daemon.jsa  from a master (used by masters and workers: SPARK_DAEMON_JAVA_OPTS)
#   app.jsa     from a small local job (used by drivers and executors: SPARK_SUBMIT_OPTS)
set -e
QUICK="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
mkdir -p /opt/spark-cds /tmp/warm-up
cd /tmp/warm-up

SPARK_DAEMON_JAVA_OPTS="$QUICK -XX:ArchiveClassesAtExit=/opt/spark-cds/daemon.jsa" \
    spark-class org.apache.spark.deploy.master.Master --host localhost >master.log 2>&1 &
master=$!
tries=0
until grep -q "elected leader" master.log; do
    tries=$((tries + 1))
    if [ "$tries" -gt 600 ]; then cat master.log; exit 1; fi
    sleep 0.2
done
kill "$master"          # a normal exit writes the archive
wait "$master" || true

cat >job.py <<'PY'
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("warm-up").getOrCreate()
words = spark.sparkContext.parallelize(["a b", "b c"], 2).flatMap(str.split)
print(words.map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b).collect())
print(spark.range(100).selectExpr("sum(id)").collect())
spark.stop()
PY
SPARK_SUBMIT_OPTS="$QUICK -XX:ArchiveClassesAtExit=/opt/spark-cds/app.jsa" \
    spark-submit --master 'local[1]' job.py >job.log 2>&1 || { cat job.log; exit 1; }

ls -l /opt/spark-cds
test -s /opt/spark-cds/daemon.jsa && test -s /opt/spark-cds/app.jsa
cd / && rm -rf /tmp/warm-up /tmp/spark-* /tmp/blockmgr-* 2>/dev/null || true
