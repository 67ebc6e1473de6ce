/// Who publishes to and who reads from one exchange of a scaled-out job
/// (docs/scale-out.md), as pure functions of the job's shape: the same in
/// every instance, so instances agree without talking to each other.
///
/// Exchange `index` of job `job` is the JetStream stream `<job>-x<index>`
/// with one subject per key group, `<job>-x<index>.<key group>`. Its
/// producers are every subtask of the upstream chain in every instance; a
/// downstream subtask reads the subjects of the key groups it owns.
public struct ExchangeTopology: Hashable, Sendable {
  /// The job's name on the exchange.
  public let job: String
  /// The exchange's number in plan order.
  public let index: Int
  /// How many instances run the job.
  public let instances: Int
  /// Parallelism of the upstream (publishing) chain in each instance.
  public let producerParallelism: Int
  /// Parallelism of the downstream (reading) chain in each instance.
  public let consumerParallelism: Int
  /// Number of key groups (subjects).
  public let maxParallelism: Int

  /// The topology of exchange `index` of `job`.
  public init(
    job: String, index: Int, instances: Int, producerParallelism: Int, consumerParallelism: Int,
    maxParallelism: Int
  ) {
    precondition(index >= 0 && instances >= 1 && producerParallelism >= 1)
    precondition(consumerParallelism >= 1 && maxParallelism >= instances)
    self.job = job
    self.index = index
    self.instances = instances
    self.producerParallelism = producerParallelism
    self.consumerParallelism = consumerParallelism
    self.maxParallelism = maxParallelism
  }

  /// The JetStream stream: `<job>-x<index>`.
  public var stream: String { "\(job)-x\(index)" }

  /// The subject of key group `keyGroup`: `<job>-x<index>.<keyGroup>`.
  public func subject(keyGroup: Int) -> String { "\(stream).\(keyGroup)" }

  /// The subjects the stream captures: `<job>-x<index>.*`.
  public var subjectFilter: String { "\(stream).*" }

  /// Every producer, instance by instance, subtask by subtask: the channels
  /// of each subject's watermark valve in an ``ExchangeReader``.
  public var producers: [ExchangeProducer] {
    (0..<instances).flatMap { instance in
      (0..<producerParallelism).map { ExchangeProducer(instance: instance, subtask: $0) }
    }
  }

  /// The key groups (subjects) subtask `subtask` of instance `instance` reads, in order.
  public func keyGroups(instance: Int, subtask: Int) -> Range<Int> {
    KeyGroups.range(
      subtask: subtask, parallelism: consumerParallelism, instance: instance,
      instances: instances, maxParallelism: maxParallelism)
  }
}
