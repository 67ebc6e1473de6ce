import Synchronization

/// What a window operator with a late-data output emits: a result, or a late record.
public enum WindowEmission<Result: Sendable, Record: Sendable>: Sendable {
  /// A window result.
  case result(Result)
  /// A record that arrived after its windows' allowed lateness.
  case late(Record)
}

/// Names the late-data output of a window; after building the window, read
/// it with ``DataStream/lateRecords(_:)``. Use one tag per window.
public final class LateDataTag<Record: Sendable>: Sendable {
  private let source = Mutex<(@Sendable () -> DataStream<Record>)?>(nil)
  /// Creates a tag.
  public init() {}

  @usableFromInline
  func bind(_ make: @escaping @Sendable () -> DataStream<Record>) {
    source.withLock { $0 = make }
  }

  var stream: DataStream<Record>? { source.withLock { $0 }?() }
}

/// A keyed stream cut into windows (see ``KeyedStream/window(_:)``).
/// Configure the trigger, the allowed lateness and the late-data output, then
/// reduce, aggregate or process each window.
public struct WindowedStream<Key: BinaryCodable & Hashable, T: Sendable>: Sendable {
  @usableFromInline let keyed: KeyedStream<Key, T>
  @usableFromInline let assigner: WindowAssigner
  @usableFromInline var trigger: (any WindowTrigger)?
  @usableFromInline var lateness: Int64 = 0
  @usableFromInline var lateTag: LateDataTag<T>?

  @usableFromInline
  init(keyed: KeyedStream<Key, T>, assigner: WindowAssigner) {
    self.keyed = keyed
    self.assigner = assigner
  }

  /// Replaces the assigner's default trigger.
  public func trigger(_ trigger: some WindowTrigger) -> Self {
    var copy = self
    copy.trigger = trigger
    return copy
  }

  /// Keeps windows open for `lateness` after the watermark passed their end:
  /// late records within it update the window and make it fire again.
  public func allowedLateness(_ lateness: Duration) -> Self {
    var copy = self
    copy.lateness = max(0, lateness.milliseconds)
    return copy
  }

  /// Sends records that are too late for all their windows to `tag`'s stream
  /// instead of dropping them.
  public func sideOutputLateData(_ tag: LateDataTag<T>) -> Self {
    var copy = self
    copy.lateTag = tag
    return copy
  }

  /// Builds the window operator with accumulator `Acc`. `sliceable`: `merge`
  /// does not depend on the order records came in, so sliding windows may
  /// keep one accumulator per slide and merge them (see ``WindowOperator``).
  @inlinable
  public func build<Acc: BinaryCodable, Out: Sendable>(
    name: String,
    add: @escaping @Sendable (T, inout Acc?) -> Void,
    merge: @escaping @Sendable (Acc, Acc) -> Acc,
    emit: @escaping @Sendable (Key, TimeWindow, Acc, inout Collector<Out>) throws -> Void,
    sliceable: Bool = false
  ) -> DataStream<Out> {
    let assigner = self.assigner
    let trigger = self.trigger
    let lateness = self.lateness
    let keySelector = keyed.keySelector
    let timestampOf = keyed.stream.timestampOf
    guard let lateTag else {
      return keyed.transform(name) { _ in
        OperatorKernel(
          WindowOperator<Key, T, Acc, Out>(
            assigner: assigner, trigger: trigger, allowedLateness: lateness,
            keySelector: keySelector, timestampOf: timestampOf, add: add, merge: merge,
            emit: emit, late: nil, sliceable: sliceable))
      }
    }
    typealias Emission = WindowEmission<Out, T>
    let combined: DataStream<Emission> = keyed.transform(name) { _ in
      OperatorKernel(
        WindowOperator<Key, T, Acc, Emission>(
          assigner: assigner, trigger: trigger, allowedLateness: lateness,
          keySelector: keySelector, timestampOf: timestampOf, add: add, merge: merge,
          emit: { key, window, acc, out in
            var results = Collector<Out>(buffer: [], side: out.side)
            try emit(key, window, acc, &results)
            for result in results.buffer { out.emit(.result(result)) }
          },
          late: { .late($0) }, sliceable: sliceable))
    }
    lateTag.bind {
      combined.compactMap(name: "\(name)LateData") { emission -> T? in
        if case .late(let record) = emission { return record }
        return nil
      }.withTimestampsIfAny(timestampOf)
    }
    return combined.compactMap(name: "\(name)Results") { emission -> Out? in
      if case .result(let result) = emission { return result }
      return nil
    }
  }

  /// Incremental aggregation: only the accumulator is kept per key and window;
  /// emits `function.result` when the window fires.
  @inlinable
  public func aggregate<F: AggregateFunction>(name: String = "WindowAggregate", _ function: F)
    -> DataStream<F.Output> where F.Input == T, F.Output: Sendable
  {
    aggregate(name: name, function) { _, _, result in result }
  }

  /// Incremental aggregation with window metadata: emits
  /// `process(key, window, function.result)` when the window fires.
  ///
  /// As in Flink, `function.merge` must give what adding all records to one
  /// accumulator gives, in any order: event-time sliding windows (default
  /// trigger, no allowed lateness) keep one accumulator per slide and merge
  /// them when a window fires, as session windows merge theirs.
  @inlinable
  public func aggregate<F: AggregateFunction, Out: Sendable>(
    name: String = "WindowAggregate", _ function: F,
    process: @escaping @Sendable (Key, TimeWindow, F.Output) throws -> Out
  ) -> DataStream<Out> where F.Input == T {
    build(
      name: name,
      add: { record, acc in acc = function.add(record, to: acc ?? function.createAccumulator()) },
      merge: { function.merge($0, $1) },
      emit: { key, window, acc, out in out.emit(try process(key, window, function.result(acc))) },
      sliceable: true)
  }

  /// Process function over all records of the window (kept as a list per key
  /// and window), with the window's metadata; may emit any number of outputs.
  @inlinable
  public func process<Out: Sendable>(
    name: String = "WindowProcess",
    _ function: @escaping @Sendable (Key, TimeWindow, [T], inout Collector<Out>) throws -> Void
  ) -> DataStream<Out> where T: BinaryCodable {
    build(
      name: name,
      add: { record, list in
        if list == nil { list = [record] } else { list!.append(record) }
      },
      merge: { $0 + $1 },
      emit: { key, window, list, out in try function(key, window, list, &out) })
  }
}

extension WindowedStream where T: BinaryCodable {
  /// Incremental reduce: keeps one reduced record per key and window and emits
  /// it when the window fires.
  @inlinable
  public func reduce(name: String = "WindowReduce", _ combine: @escaping @Sendable (T, T) -> T)
    -> DataStream<T>
  {
    build(
      name: name,
      add: { record, acc in acc = acc.map { combine($0, record) } ?? record },
      merge: { combine($0, $1) },
      emit: { _, _, acc, out in out.emit(acc) })
  }
}

extension KeyedStream {
  /// Cuts the stream into windows by `assigner`, per key.
  @inlinable
  public func window(_ assigner: WindowAssigner) -> WindowedStream<Key, T> {
    WindowedStream(keyed: self, assigner: assigner)
  }

  /// Windows of `count` records per key (global windows with a purging count trigger).
  @inlinable
  public func countWindow(_ count: Int) -> WindowedStream<Key, T> {
    window(.global).trigger(PurgingTrigger(CountTrigger(Int64(count))))
  }
}

extension DataStream {
  /// The late-data output bound to `tag` by a window built with
  /// ``WindowedStream/sideOutputLateData(_:)`` (Flink's `getSideOutput`): call
  /// it on the window's result stream.
  /// - Precondition: the window was built (e.g. `aggregate` was called) first.
  public func lateRecords<Record: Sendable>(_ tag: LateDataTag<Record>) -> DataStream<Record> {
    guard let stream = tag.stream else {
      preconditionFailure(
        "lateRecords(_:) before the window using this tag was built: call aggregate/reduce/process first"
      )
    }
    return stream
  }

  @usableFromInline
  func withTimestampsIfAny(_ timestampOf: (@Sendable (T) -> Int64)?) -> DataStream<T> {
    timestampOf.map { withTimestamps($0) } ?? self
  }
}
