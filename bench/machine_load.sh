# Sourced by the benchmark scripts: how busy the machine is, and waiting for it to be quiet.
# wait_for_quiet reads $quiet_wait (seconds) from the sourcing script.

cpus=$(nproc)
ticks_per_s=$(getconf CLK_TCK)

# CPU ticks the whole machine has spent busy (user, nice, system, irq, softirq, steal) since boot.
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# On a shared machine: waits (at most $quiet_wait s) for a second in which the machine is at least
# 90% idle, so that the next run starts on idle CPUs. The callers' "others" figure tells how it went.
wait_for_quiet() {
  local deadline=$((SECONDS + quiet_wait)) b0 b1
  while ((SECONDS < deadline)); do
    b0=$(busy_ticks)
    sleep 1
    b1=$(busy_ticks)
    (((b1 - b0) * 10 < ticks_per_s * cpus)) && return 0
  done
  return 0
}
