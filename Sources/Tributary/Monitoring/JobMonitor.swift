import CoreMetrics
import Foundation
import Synchronization

/// Watches one job while it runs: its state, per-vertex and per-subtask
/// counters, rates, busy/idle/backpressure ratios and watermarks, its
/// checkpoint history and failures; and registers the engine's metrics with a
/// swift-metrics factory.
///
/// Attach it with ``JobConfiguration/monitor`` before ``StreamEnvironment/execute()``;
/// read ``status``, ``checkpoints``, ``exceptions``, ``configuration`` and
/// ``throughput`` from any thread at any time (a web server does). One
/// monitor watches one job, across its restarts: counters keep counting, the
/// checkpoint history spans every run. Without a monitor the engine counts nothing.
///
/// The subtasks count per batch (a relaxed atomic add and the metrics
/// handler's update, never per record) and read the clock only when they
/// wait; the engine samples rates and exports busy/idle/backpressure time
/// about once a second. Thread-safe.
public final class JobMonitor: Sendable {
  /// How many checkpoints ``checkpoints`` lists.
  public static let historySize = 100
  /// How many throughput samples (about one per second) ``throughput`` keeps.
  public static let throughputHistorySize = 300
  /// How many failures ``exceptions`` lists.
  public static let exceptionHistorySize = 100

  /// The factory the engine's metrics are registered with.
  public let metricsFactory: any MetricsFactory

  struct Vertex: Sendable {
    let id: Int
    let name: String
    let parallelism: Int
    /// Node ids and metric labels of the chained operators, first to last.
    let nodes: [(id: Int, label: String)]
    let tailIsSink: Bool
    let headIsSource: Bool
  }

  private struct MeterKey: Hashable {
    let node: Int
    let subtask: Int
  }

  /// A subtask's time counters and what of them was exported so far.
  private struct TaskTime {
    let meter: TaskMeter
    let busy: FloatingPointCounter
    let idle: FloatingPointCounter
    let backpressure: FloatingPointCounter
    let alignment: Recorder
    var exported = (busy: Int64(0), idle: Int64(0), backpressure: Int64(0))
  }

  /// The job-wide metrics, registered once the job's name is known.
  private struct JobMetrics {
    let completedCheckpoints: Counter
    let failedCheckpoints: Counter
    let checkpointDuration: Recorder
    let checkpointSize: Recorder
    let lastCompletedCheckpoint: Gauge
    let restarts: Counter
  }

  private struct State: ~Copyable {
    var name = "job"
    var jobState = JobState.created
    var startedAtMillis: Int64?
    var endedAtMillis: Int64?
    var error: String?
    var restarts = 0
    var checkpointing = false
    var savepoints: SavepointControl?
    var configuration: JobConfigurationStatus?
    var vertices: [Vertex] = []
    var edges: [EdgeStatus] = []
    var labels: [Int: String] = [:]
    /// Metric labels by operator id (sinks' transactions are committed by id).
    var labelsByOperatorID: [String: String] = [:]
    var sinkCommits: [String: Recorder] = [:]
    var meters: [MeterKey: OperatorMeter] = [:]
    /// Per vertex, per subtask.
    var tasks: [[TaskTime]] = []
    var jobMetrics: JobMetrics?
    var sampler = RateSampler(historyCapacity: JobMonitor.throughputHistorySize)
    var history = CheckpointHistory(capacity: JobMonitor.historySize)
    var exceptions: [ExceptionEntry] = []
    var stoppedWithSavepoint = false
    /// The adaptive interval's latest choice, with a recovery objective.
    var interval: CheckpointIntervalStatus?
    var intervalGauges: (interval: Gauge, predicted: Gauge, met: Gauge)?
  }
  private let state = Mutex(State())

  /// A monitor whose metrics go to `metricsFactory` (by default the one
  /// `MetricsSystem.bootstrap` installed, which does nothing unless bootstrapped).
  public init(metricsFactory: (any MetricsFactory)? = nil) {
    self.metricsFactory = metricsFactory ?? MetricsSystem.factory
  }

  // MARK: - Reading

  /// The job now: state, vertices with counters, rates and ratios, edges.
  public var status: JobStatus {
    let now = Self.wallClockMillis()
    return state.withLock { s in
      let vertices = s.vertices.map { vertex in Self.vertexStatus(vertex, in: s) }
      let started = s.startedAtMillis
      return JobStatus(
        name: s.name, state: s.jobState,
        startedAt: started.map(CheckpointHistory.iso8601),
        durationMs: started.map { max(0, (s.endedAtMillis ?? now) - $0) } ?? 0,
        error: s.error, restarts: s.restarts, checkpointing: s.checkpointing,
        vertices: vertices, edges: s.edges)
    }
  }

  private static func vertexStatus(_ vertex: Vertex, in s: borrowing State) -> VertexStatus {
    let operators = vertex.nodes.map { node -> OperatorStatus in
      let meters = (0..<vertex.parallelism).compactMap {
        s.meters[MeterKey(node: node.id, subtask: $0)]
      }
      let watermarks = meters.map(\.currentWatermark)
      return OperatorStatus(
        name: node.label,
        recordsIn: meters.reduce(0) { $0 + $1.recordsIn.load(ordering: .relaxed) },
        recordsOut: meters.reduce(0) { $0 + $1.recordsOut.load(ordering: .relaxed) },
        watermarkMs: meters.count == vertex.parallelism && !watermarks.contains(nil)
          ? watermarks.compactMap { $0 }.min() : nil)
    }
    let head = vertex.nodes.first?.id ?? -1
    let tail = vertex.nodes.last?.id ?? -1
    let rates = vertex.id < s.sampler.rates.count ? s.sampler.rates[vertex.id] : []
    let subtasks = (0..<vertex.parallelism).map { index -> SubtaskStatus in
      let headMeter = s.meters[MeterKey(node: head, subtask: index)]
      let tailMeter = s.meters[MeterKey(node: tail, subtask: index)]
      let rate = index < rates.count ? rates[index] : RateSampler.SubtaskRates()
      let task =
        vertex.id < s.tasks.count && index < s.tasks[vertex.id].count
        ? s.tasks[vertex.id][index].meter : nil
      return SubtaskStatus(
        index: index,
        recordsIn: vertex.headIsSource ? 0 : headMeter?.recordsIn.load(ordering: .relaxed) ?? 0,
        recordsOut: vertex.tailIsSink ? 0 : tailMeter?.recordsOut.load(ordering: .relaxed) ?? 0,
        recordsInPerSecond: vertex.headIsSource ? 0 : rate.inPerSecond,
        recordsOutPerSecond: vertex.tailIsSink ? 0 : rate.outPerSecond,
        busyRatio: rate.busy, idleRatio: rate.idle, backpressureRatio: rate.backpressure,
        watermarkMs: Self.eventTime(of: vertex, subtask: index, in: s),
        idle: task?.isEventTimeIdle ?? false)
    }
    let active = subtasks.filter { !$0.idle }
    let watermark =
      active.isEmpty || active.contains { $0.watermarkMs == nil }
      ? nil : active.compactMap(\.watermarkMs).min()
    return VertexStatus(
      id: vertex.id, name: vertex.name, parallelism: vertex.parallelism,
      recordsIn: subtasks.reduce(0) { $0 + $1.recordsIn },
      recordsOut: subtasks.reduce(0) { $0 + $1.recordsOut },
      recordsInPerSecond: subtasks.reduce(0) { $0 + $1.recordsInPerSecond },
      recordsOutPerSecond: subtasks.reduce(0) { $0 + $1.recordsOutPerSecond },
      busyRatio: subtasks.map(\.busyRatio).max() ?? 0,
      idleRatio: subtasks.map(\.idleRatio).min() ?? 0,
      backpressureRatio: subtasks.map(\.backpressureRatio).max() ?? 0,
      watermarkMs: watermark, subtasks: subtasks, operators: operators)
  }

  /// A subtask's event time: the watermark its first operator received, or,
  /// for a chain that starts with a source (which receives none), the latest
  /// watermark produced inside the chain (by the source or an assigner).
  private static func eventTime(of vertex: Vertex, subtask: Int, in s: borrowing State) -> Int64? {
    guard vertex.headIsSource else {
      return vertex.nodes.first.flatMap { s.meters[MeterKey(node: $0.id, subtask: subtask)] }?
        .currentWatermark
    }
    for node in vertex.nodes.reversed() {
      guard let meter = s.meters[MeterKey(node: node.id, subtask: subtask)] else { continue }
      if let watermark = meter.currentOutputWatermark ?? meter.currentWatermark { return watermark }
    }
    return nil
  }

  /// The job's checkpoints: counts and the last ``historySize``.
  public var checkpoints: CheckpointsStatus {
    state.withLock { s in
      var status = s.history.status
      status.interval = s.interval
      return status
    }
  }

  /// Checkpoint `id` with every subtask's part, or `nil` when it is not in the history.
  public func checkpoint(id: Int64) -> CheckpointDetail? {
    state.withLock { $0.history.detail(id: id) }
  }

  /// The failures of the job so far, newest first (the last ``exceptionHistorySize``).
  public var exceptions: [ExceptionEntry] { state.withLock { $0.exceptions.reversed() } }

  /// The job's effective options, once it started.
  public var configuration: JobConfigurationStatus? { state.withLock { $0.configuration } }

  /// Source and sink throughput, about one sample per second, oldest first
  /// (the last ``throughputHistorySize``).
  public var throughput: [ThroughputSample] { state.withLock { Array($0.sampler.history) } }

  /// Whether the job was stopped with a savepoint (it then ends FINISHED).
  public var stoppedWithSavepoint: Bool { state.withLock { $0.stoppedWithSavepoint } }

  /// The job's savepoint control, once it started with checkpointing.
  public var savepoints: SavepointControl? { state.withLock { $0.savepoints } }

  // MARK: - Engine events

  /// The job starts (first run): its topology, name and options.
  func jobStarted(plan: PhysicalPlan, config: JobConfiguration) {
    let factory = metricsFactory
    state.withLock { s in
      s.name = config.jobName
      s.jobState = .running
      s.error = nil
      s.endedAtMillis = nil
      s.checkpointing = config.checkpointing != nil
      s.savepoints = config.checkpointing?.savepoints
      s.configuration = Self.configurationStatus(config)
      if s.startedAtMillis == nil { s.startedAtMillis = Self.wallClockMillis() }
      guard s.vertices.isEmpty else { return }
      let job = ("job", config.jobName)
      s.jobMetrics = JobMetrics(
        completedCheckpoints: Counter(
          label: "tributary_checkpoints_total", dimensions: [job, ("status", "completed")],
          factory: factory),
        failedCheckpoints: Counter(
          label: "tributary_checkpoints_total", dimensions: [job, ("status", "failed")],
          factory: factory),
        checkpointDuration: Recorder(
          label: "tributary_checkpoint_duration_seconds", dimensions: [job], aggregate: true,
          factory: factory),
        checkpointSize: Recorder(
          label: "tributary_checkpoint_size_bytes", dimensions: [job], aggregate: true,
          factory: factory),
        lastCompletedCheckpoint: Gauge(
          label: "tributary_last_completed_checkpoint_id", dimensions: [job], factory: factory),
        restarts: Counter(label: "tributary_restarts_total", dimensions: [job], factory: factory))
      // Present (at 0) from the start, so a scrape sees every series.
      s.jobMetrics?.completedCheckpoints.increment(by: 0)
      s.jobMetrics?.failedCheckpoints.increment(by: 0)
      s.jobMetrics?.restarts.increment(by: 0)
      var seen: [String: Int] = [:]
      for chain in plan.chains {
        for node in chain.nodes { seen[node.name, default: 0] += 1 }
      }
      for chain in plan.chains {
        for node in chain.nodes {
          let label = seen[node.name, default: 0] > 1 ? "\(node.name)#\(node.id)" : node.name
          s.labels[node.id] = label
          s.labelsByOperatorID[node.operatorID] = label
        }
      }
      s.vertices = plan.chains.enumerated().map { c, chain in
        Vertex(
          id: c, name: chain.nodes.map { s.labels[$0.id] ?? $0.name }.joined(separator: " -> "),
          parallelism: chain.parallelism,
          nodes: chain.nodes.map { ($0.id, s.labels[$0.id] ?? $0.name) },
          tailIsSink: chain.tail.isSink, headIsSource: chain.head.isSource)
      }
      s.tasks = s.vertices.map { vertex in
        (0..<vertex.parallelism).map { subtask in
          let dimensions = [job, ("operator", vertex.name), ("subtask", String(subtask))]
          return TaskTime(
            meter: TaskMeter(dimensions: dimensions, factory: factory),
            busy: FloatingPointCounter(
              label: "tributary_busy_seconds_total", dimensions: dimensions, factory: factory),
            idle: FloatingPointCounter(
              label: "tributary_idle_seconds_total", dimensions: dimensions, factory: factory),
            backpressure: FloatingPointCounter(
              label: "tributary_backpressure_seconds_total", dimensions: dimensions,
              factory: factory),
            alignment: Recorder(
              label: "tributary_checkpoint_alignment_seconds", dimensions: dimensions,
              aggregate: true, factory: factory))
        }
      }
      for row in s.tasks {
        for task in row {
          task.busy.increment(by: 0)
          task.idle.increment(by: 0)
          task.backpressure.increment(by: 0)
        }
      }
      s.edges = plan.consumers.enumerated().flatMap { c, consumers in
        consumers.map {
          EdgeStatus(
            from: c, to: $0.chainIndex, partitioning: "\($0.kind)", sideOutput: $0.sideOutput?.tag)
        }
      }
    }
  }

  /// A stop-with-savepoint completed: the job stops now.
  func stopRequested() { state.withLock { $0.stoppedWithSavepoint = true } }

  /// A new run (after a restart) is running.
  func runStarted() { state.withLock { $0.jobState = .running } }

  /// A run failed with `error`; the job restarts after the strategy's delay.
  func restarting(after error: any Error) {
    let restarts = state.withLock { s in
      s.jobState = .restarting
      s.restarts += 1
      s.error = "\(error)"
      Self.record(error, restarted: true, in: &s)
      return s.jobMetrics?.restarts
    }
    restarts?.increment()
  }

  /// The job ended in `final` (finished, failed or cancelled).
  func jobEnded(_ final: JobState, error: (any Error)? = nil) {
    let savepoints = state.withLock { s in
      s.jobState = final
      s.endedAtMillis = Self.wallClockMillis()
      if let error {
        s.error = "\(error)"
        Self.record(error, restarted: false, in: &s)
      }
      return s.savepoints
    }
    sample()
    savepoints?.jobEnded()
  }

  private static func record(_ error: any Error, restarted: Bool, in s: inout State) {
    var operatorName: String?
    var subtask: Int?
    var root: any Error = error
    if case .operatorFailed(let name, let index, let underlying) = error as? JobError {
      operatorName = name
      subtask = index
      root = underlying
    }
    s.exceptions.append(
      ExceptionEntry(
        time: CheckpointHistory.iso8601(wallClockMillis()), rootCause: "\(root)",
        operatorName: operatorName, subtask: subtask, message: "\(error)", restarted: restarted))
    if s.exceptions.count > exceptionHistorySize { s.exceptions.removeFirst() }
  }

  /// The meter of `node`'s subtask `subtask`, made on first use and kept
  /// across restarts.
  func meter(node: Int, subtask: Int) -> OperatorMeter {
    let factory = metricsFactory
    return state.withLock { s in
      let key = MeterKey(node: node, subtask: subtask)
      if let meter = s.meters[key] { return meter }
      let meter = OperatorMeter(
        dimensions: [
          ("job", s.name), ("operator", s.labels[node] ?? "operator\(node)"),
          ("subtask", String(subtask)),
        ], isSource: s.vertices.contains { $0.headIsSource && $0.nodes.first?.id == node },
        factory: factory)
      s.meters[key] = meter
      return meter
    }
  }

  /// The time meter of subtask `subtask` of vertex `vertex`, kept across restarts.
  func taskMeter(vertex: Int, subtask: Int) -> TaskMeter? {
    state.withLock { s in
      vertex < s.tasks.count && subtask < s.tasks[vertex].count
        ? s.tasks[vertex][subtask].meter : nil
    }
  }

  /// Reads every counter now: updates rates and the throughput history and
  /// exports records counts and busy, idle and backpressure time.
  func sample() { sample(nanos: MonitorClock.nanos(), wallMillis: Self.wallClockMillis()) }

  /// Reads every counter, as at monotonic `nanos` and wall clock `wallMillis`.
  func sample(nanos: Int64, wallMillis: Int64) {
    state.withLock { s in
      var reading = RateSampler.Reading(vertices: [], sourceOut: 0, sinkIn: 0)
      for vertex in s.vertices {
        guard let head = vertex.nodes.first?.id, let tail = vertex.nodes.last?.id else {
          reading.vertices.append([])
          continue
        }
        var subtasks: [RateSampler.SubtaskReading] = []
        for subtask in 0..<vertex.parallelism {
          let headMeter = s.meters[MeterKey(node: head, subtask: subtask)]
          let tailMeter = s.meters[MeterKey(node: tail, subtask: subtask)]
          var one = RateSampler.SubtaskReading()
          one.recordsIn = headMeter?.recordsIn.load(ordering: .relaxed) ?? 0
          one.recordsOut = tailMeter?.recordsOut.load(ordering: .relaxed) ?? 0
          if vertex.id < s.tasks.count, subtask < s.tasks[vertex.id].count {
            let meter = s.tasks[vertex.id][subtask].meter
            one.wallNanos = meter.wallNanos(at: nanos)
            one.idleNanos = min(one.wallNanos, meter.idleNanos.load(ordering: .relaxed))
            one.backpressureNanos = min(
              one.wallNanos - one.idleNanos, meter.backpressureNanos.load(ordering: .relaxed))
            Self.export(one, to: &s.tasks[vertex.id][subtask])
          }
          if vertex.headIsSource {
            reading.sourceOut += headMeter?.recordsOut.load(ordering: .relaxed) ?? 0
          }
          if vertex.tailIsSink {
            reading.sinkIn += tailMeter?.recordsIn.load(ordering: .relaxed) ?? 0
          }
          subtasks.append(one)
        }
        reading.vertices.append(subtasks)
      }
      s.sampler.sample(reading, nanos: nanos, wallMillis: wallMillis)
      for meter in s.meters.values { meter.exportCounts() }
    }
  }

  /// Adds what `reading` shows beyond what `task`'s counters already hold.
  private static func export(_ reading: RateSampler.SubtaskReading, to task: inout TaskTime) {
    let busy = max(
      task.exported.busy, reading.wallNanos - reading.idleNanos - reading.backpressureNanos)
    let idle = max(task.exported.idle, reading.idleNanos)
    let backpressure = max(task.exported.backpressure, reading.backpressureNanos)
    if busy > task.exported.busy {
      task.busy.increment(by: Double(busy - task.exported.busy) / 1e9)
    }
    if idle > task.exported.idle {
      task.idle.increment(by: Double(idle - task.exported.idle) / 1e9)
    }
    if backpressure > task.exported.backpressure {
      task.backpressure.increment(by: Double(backpressure - task.exported.backpressure) / 1e9)
    }
    task.exported = (busy, idle, backpressure)
  }

  // MARK: - Adaptive checkpoint interval

  /// Records the sources emitted so far (all runs), and the busy ratio of the
  /// busiest subtask over the last sampled second (1 before the first sample).
  func sourceRecordsAndBusiestRatio() -> (sourceRecords: Int64, busiestRatio: Double) {
    state.withLock { s in
      var records: Int64 = 0
      for vertex in s.vertices where vertex.headIsSource {
        guard let head = vertex.nodes.first?.id else { continue }
        for subtask in 0..<vertex.parallelism {
          records +=
            s.meters[MeterKey(node: head, subtask: subtask)]?.recordsOut.load(
              ordering: .relaxed) ?? 0
        }
      }
      let busiest = s.sampler.rates.joined().map(\.busy).max()
      return (records, busiest.map { $0 > 0 ? $0 : 1 } ?? 1)
    }
  }

  /// The job chose checkpoint interval `status` (recovery objective on).
  func checkpointIntervalChosen(_ status: AdaptiveCheckpointInterval.Status) {
    let factory = metricsFactory
    let gauges = state.withLock { s in
      s.interval = CheckpointIntervalStatus(
        intervalMs: status.intervalMillis, adaptive: true,
        recoveryObjectiveMs: status.objectiveMillis,
        predictedRecoveryMs: status.predictedRecoveryMillis.map { Int64($0.rounded()) },
        objectiveMet: status.objectiveMet)
      if s.intervalGauges == nil {
        let job = ("job", s.name)
        s.intervalGauges = (
          Gauge(
            label: "tributary_checkpoint_interval_milliseconds", dimensions: [job],
            factory: factory),
          Gauge(
            label: "tributary_predicted_recovery_milliseconds", dimensions: [job],
            factory: factory),
          Gauge(label: "tributary_recovery_objective_met", dimensions: [job], factory: factory)
        )
      }
      return s.intervalGauges
    }
    gauges?.interval.record(status.intervalMillis)
    if let predicted = status.predictedRecoveryMillis { gauges?.predicted.record(predicted) }
    gauges?.met.record(status.objectiveMet ? 1 : 0)
  }

  // MARK: - Checkpoint events

  /// Checkpoint `id` was triggered.
  func checkpointTriggered(id: Int64, isSavepoint: Bool) {
    state.withLock {
      $0.history.triggered(id: id, isSavepoint: isSavepoint, wallMillis: Self.wallClockMillis())
    }
  }

  /// Every task acknowledged checkpoint `id` with `acknowledgements`.
  func checkpointAcknowledged(id: Int64, acknowledgements: [TaskID: TaskCheckpointStats]) {
    state.withLock { s in
      var parts: [CheckpointSubtaskStatus] = []
      for (task, stats) in acknowledgements {
        guard let vertex = Self.vertexIndex(of: task), vertex < s.vertices.count else { continue }
        parts.append(
          CheckpointSubtaskStatus(
            vertex: vertex, name: s.vertices[vertex].name, subtask: task.subtask,
            alignmentMs: stats.alignmentMillis, syncMs: stats.syncDurationMillis,
            asyncMs: stats.asyncDurationMillis, sizeBytes: stats.bytes))
        if vertex < s.tasks.count, task.subtask < s.tasks[vertex].count {
          s.tasks[vertex][task.subtask].alignment.record(Double(stats.alignmentMillis) / 1_000)
        }
      }
      parts.sort { ($0.vertex, $0.subtask) < ($1.vertex, $1.subtask) }
      s.history.acknowledged(id: id, subtasks: parts)
    }
  }

  /// The vertex of a task id the execution made (`task<vertex>`).
  static func vertexIndex(of task: TaskID) -> Int? {
    task.operatorName.hasPrefix("task") ? Int(task.operatorName.dropFirst(4)) : nil
  }

  /// Checkpoint `id` completed with `stats` and references `sizeBytes`.
  func checkpointCompleted(_ stats: CompletedCheckpointStats, sizeBytes: Int64, path: String?) {
    let metrics = state.withLock { s in
      s.history.completed(
        id: stats.checkpoint, durationMillis: stats.durationMillis, sizeBytes: sizeBytes,
        alignmentMillisMax: stats.maxAlignmentMillis, syncMillisMax: stats.maxSyncDurationMillis,
        asyncMillisMax: stats.maxAsyncDurationMillis, path: path)
      return s.jobMetrics
    }
    metrics?.completedCheckpoints.increment()
    metrics?.checkpointDuration.record(Double(stats.durationMillis) / 1_000)
    metrics?.checkpointSize.record(sizeBytes)
    metrics?.lastCompletedCheckpoint.record(stats.checkpoint)
  }

  /// Checkpoint `id` was aborted for `reason`.
  func checkpointFailed(id: Int64, reason: String) {
    let (counted, metrics) = state.withLock { s in
      let before = s.history.failed
      s.history.failed(id: id, reason: reason)
      return (s.history.failed - before, s.jobMetrics)
    }
    if counted > 0 { metrics?.failedCheckpoints.increment(by: counted) }
  }

  /// A run's checkpointing ended: its checkpoints in progress failed.
  func checkpointRunEnded() {
    let (counted, metrics) = state.withLock { s in
      let before = s.history.failed
      s.history.runEnded()
      return (s.history.failed - before, s.jobMetrics)
    }
    if counted > 0 { metrics?.failedCheckpoints.increment(by: counted) }
  }

  /// A sink committed one subtask's transaction of a completed checkpoint in `duration`.
  func sinkCommitted(operatorID: String, duration: Duration) {
    let factory = metricsFactory
    let recorder = state.withLock { s in
      if let recorder = s.sinkCommits[operatorID] { return recorder }
      let recorder = Recorder(
        label: "tributary_sink_commit_seconds",
        dimensions: [
          ("job", s.name), ("operator", s.labelsByOperatorID[operatorID] ?? operatorID),
        ],
        aggregate: true, factory: factory)
      s.sinkCommits[operatorID] = recorder
      return recorder
    }
    recorder.record(Double(duration.nanoseconds) / 1e9)
  }

  // MARK: - Helpers

  private static func configurationStatus(_ config: JobConfiguration) -> JobConfigurationStatus {
    let restart: String
    switch config.restartStrategy {
    case .none: restart = "none"
    case .fixedDelay(let attempts, let delay):
      restart = "fixed-delay(attempts: \(attempts), delay: \(delay))"
    case .exponentialBackoff(let initial, let maximum, let attempts):
      restart =
        "exponential-backoff(attempts: \(attempts), initial: \(initial), maximum: \(maximum))"
    }
    let checkpointing = config.checkpointing.map { c in
      CheckpointingStatus(
        directory: c.directory, intervalMs: c.settings.intervalMillis,
        mode: c.settings.mode == .exactlyOnce ? "EXACTLY_ONCE" : "AT_LEAST_ONCE",
        timeoutMs: c.settings.timeoutMillis,
        minPauseMs: c.settings.minPauseBetweenCheckpointsMillis,
        maxConcurrent: c.settings.maxConcurrentCheckpoints,
        retained: c.settings.retainedCheckpoints,
        tolerableFailures: c.settings.tolerableConsecutiveFailures)
    }
    return JobConfigurationStatus(
      name: config.jobName, parallelism: config.parallelism,
      maxParallelism: config.maxParallelism, batchSize: config.batchSize,
      channelCapacity: config.channelCapacity, stateBackend: config.stateBackend.kind.rawValue,
      stateDirectory: config.stateBackend.directory, restartStrategy: restart,
      checkpointing: checkpointing)
  }

  static func wallClockMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000) }
}
