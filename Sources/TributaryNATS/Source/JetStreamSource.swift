import CoreMetrics
import Tributary

extension StreamEnvironment {
  /// Reads the JetStream stream `options.stream`: its subjects (found when
  /// the job starts) are the splits, dealt round-robin to the source's
  /// subtasks, each resumed exactly after the stream sequence of its last
  /// emitted message, also when the job is restored at another parallelism.
  ///
  /// Each subject has its own watermarks (`options.watermarks`, over
  /// `timestamp`), so records interleaved across subjects are not late. A
  /// message `decode` throws for is a ``JetStreamDeadLetter``: emitted to
  /// `deadLetters` when given (``DataStream/sideOutput(_:)`` of the returned
  /// stream), otherwise dropped; the job goes on. Ordering: per subject, in
  /// stream order. Each split has its own connection.
  ///
  /// Failures: a server unreachable at start fails the job at once; one that
  /// goes away while the job runs is retried (see
  /// ``JetStreamSourceOptions/connectionLossTimeout``).
  public func jetStreamSource<T: Sendable>(
    _ options: JetStreamSourceOptions, name: String = "JetStreamSource",
    deadLetters: OutputTag<JetStreamDeadLetter>? = nil,
    timestamp: @escaping @Sendable (T) -> Int64,
    decode: @escaping @Sendable (JetStreamMessage) throws -> T
  ) -> DataStream<T> {
    let discovery = SplitDiscovery {
      let connection = try NATSConnection(url: options.url)
      defer { connection.close() }
      return Array(try JetStream(connection).subjects(ofStream: options.stream).keys)
    }
    return splitSource(
      name: name, discovery: discovery, bounded: options.bounded,
      watermarks: options.watermarks, timestamp: timestamp
    ) { subject, position, context -> JetStreamSubjectSplit<T> in
      var after: UInt64 = 0
      if let position {
        guard let sequence = try? Int64.decode(position), sequence >= 0 else {
          throw JetStreamSourceError.corruptPosition(subject: subject)
        }
        after = UInt64(sequence)
      }
      let connection = try NATSConnection(url: options.url)
      let jetStream: JetStream
      let bound: UInt64?
      do {
        jetStream = try JetStream(connection)
        bound =
          options.bounded
          ? try jetStream.lastSequence(stream: options.stream, subject: subject) ?? 0 : nil
      } catch {
        connection.close()
        throw error
      }
      let side = context.sideOutputs
      let deadLetterCount = Counter(
        label: "tributary_dead_letters_total", dimensions: context.metricDimensions,
        factory: context.metricsFactory)
      deadLetterCount.increment(by: 0)
      let logger = context.logger
      return JetStreamSubjectSplit(
        subject: subject, connection: connection, jetStream: jetStream, options: options,
        after: after, bound: bound,
        decode: decode,
        deadLetters: { letter in
          deadLetterCount.increment()
          logger.warning(
            "JetStream source: a message could not be decoded; it is a dead letter",
            metadata: ["split": "\(subject)", "dead_letter": "\(letter)"])
          if let deadLetters { side?.emit(letter, to: deadLetters) }
        },
        lag: Gauge(
          label: "tributary_jetstream_lag_messages",
          dimensions: context.metricDimensions + [("split", subject)],
          factory: context.metricsFactory),
        logger: context.logger)
    }
  }
}
