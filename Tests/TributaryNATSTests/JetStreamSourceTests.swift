import Foundation
import Synchronization
import TestServers
import Testing

@testable import Tributary
@testable import TributaryNATS

/// The JetStream source and sink inside jobs, against a real nats-server:
/// per-subject watermarks, positions and split re-assignment across
/// restores at other parallelisms, dead letters, a server restart during a
/// run, a server that stays away, and the exactly-once sink's deduplication.
@Suite(.serialized) struct JetStreamSourceTests {
  struct Reading: Sendable, BinaryCodable {
    var key: Int64
    var timestamp: Int64
    var value: Int64
    func encode(to writer: inout BinaryWriter) {
      key.encode(to: &writer)
      timestamp.encode(to: &writer)
      value.encode(to: &writer)
    }
    static func decode(from reader: inout BinaryReader) throws(CodecError) -> Reading {
      Reading(
        key: try Int64.decode(from: &reader), timestamp: try Int64.decode(from: &reader),
        value: try Int64.decode(from: &reader))
    }
  }
  struct InjectedFailure: Error {}
  struct Malformed: Error {}

  final class FailureInjector: Sendable {
    private let remaining: Mutex<Set<UInt64>>
    init(_ sequences: Set<UInt64>) { remaining = Mutex(sequences) }
    func check(_ sequence: UInt64) throws {
      if remaining.withLock({ $0.remove(sequence) != nil }) { throw InjectedFailure() }
    }
  }

  struct CountSum: AggregateFunction {
    func createAccumulator() -> Pair<Int64, Int64> { Pair(0, 0) }
    func add(_ r: (UInt64, Reading), to acc: Pair<Int64, Int64>) -> Pair<Int64, Int64> {
      Pair(acc.first + 1, acc.second + r.1.value)
    }
    func result(_ acc: Pair<Int64, Int64>) -> Pair<Int64, Int64> { acc }
    func merge(_ a: Pair<Int64, Int64>, _ b: Pair<Int64, Int64>) -> Pair<Int64, Int64> {
      Pair(a.first + b.first, a.second + b.second)
    }
  }

  static let subjects = 4
  static let perSubject = 3_000

  /// Message `n` of subject `s`: monotonic per subject, subjects skewed by 2 s.
  static func reading(subject: Int, n: Int) -> Reading {
    Reading(
      key: Int64((n * 3 + subject) % 19), timestamp: Int64(subject * 2_000 + n / 5),
      value: Int64(n % 7))
  }

  static func publishReadings(_ server: NATSServer, stream: String, malformedEvery: Int? = nil)
    throws
  {
    let connection = try NATSConnection(url: server.url)
    defer { connection.close() }
    let jetStream = try JetStream(connection)
    try jetStream.createStream(name: stream, subjects: ["\(stream).*"])
    var messages: [JetStreamOutgoingMessage] = []
    for n in 0..<perSubject {
      for subject in 0..<subjects {
        let r = reading(subject: subject, n: n)
        var text = "\(r.key),\(r.timestamp),\(r.value)"
        if let malformedEvery, n % malformedEvery == 1 { text = "garbage" }
        messages.append(
          JetStreamOutgoingMessage(
            subject: "\(stream).\(subject)", payload: Array(text.utf8), messageID: nil))
      }
    }
    _ = try jetStream.publishAll(messages)
  }

  static func decode(_ message: JetStreamMessage) throws -> (UInt64, Reading) {
    let fields = String(decoding: message.payload, as: UTF8.self).split(separator: ",")
    guard fields.count == 3, let k = Int64(fields[0]), let t = Int64(fields[1]),
      let v = Int64(fields[2])
    else { throw Malformed() }
    return (message.streamSequence, Reading(key: k, timestamp: t, value: v))
  }

  static func expectedLines(skipMalformedEvery: Int? = nil) -> [String] {
    var windows: [String: (Int64, Int64)] = [:]
    for n in 0..<perSubject {
      if let skipMalformedEvery, n % skipMalformedEvery == 1 { continue }
      for subject in 0..<subjects {
        let r = reading(subject: subject, n: n)
        let id = "\((r.timestamp / 100 + 1) * 100),\(r.key)"
        let previous = windows[id] ?? (0, 0)
        windows[id] = (previous.0 + 1, previous.1 + r.value)
      }
    }
    return windows.map { "\($0.key),\($0.value.0),\($0.value.1)" }
  }

  static func committedLines(_ directory: URL) throws -> [String] {
    var lines: [String] = []
    for name in try FileManager.default.contentsOfDirectory(atPath: directory.path)
    where name.hasSuffix(".csv") {
      let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
      lines += text.split(separator: "\n").map(String.init)
    }
    return lines
  }

  /// Windows of 100 ms per key over the stream into the transactional file
  /// sink; dead letters are collected.
  static func runWindows(
    url: String, stream: String, root: URL, parallelism: Int, failAt: Set<UInt64>,
    deadLetters: CollectedRecords<JetStreamDeadLetter>? = nil,
    connectionLossTimeout: Duration = .seconds(30), slowSink: Bool = false
  ) async throws {
    var config = JobConfiguration()
    config.parallelism = parallelism
    config.batchSize = 128
    config.checkpointing = CheckpointingConfiguration(
      directory: root.appendingPathComponent("checkpoints").path,
      settings: CheckpointSettings(intervalMillis: 10))
    let env = StreamEnvironment(configuration: config)
    let injector = FailureInjector(failAt)
    let tag = OutputTag<JetStreamDeadLetter>("dead")
    let source = env.jetStreamSource(
      JetStreamSourceOptions(
        url: url, stream: stream, bounded: true, fetchBatch: 50,
        connectionLossTimeout: connectionLossTimeout),
      deadLetters: tag, timestamp: { $0.1.timestamp }, decode: decode)
    if let deadLetters {
      source.sideOutput(tag).sink(name: "Dead") { batch in deadLetters.append(batch) }
    }
    source
      .map { pair in
        try injector.check(pair.0)
        if slowSink { usleep(200) }
        return pair
      }
      .withTimestamps { $0.1.timestamp }
      .keyBy { $0.1.key }
      .window(.tumbling(.milliseconds(100)))
      .aggregate(CountSum()) { key, window, acc in
        "\(window.end),\(key),\(acc.first),\(acc.second)"
      }
      .writeTransactional(directory: root.appendingPathComponent("out").path) { $0 }
    _ = try await env.execute()
  }

  @Test func restoredAtOneThenThreeThenTwoEverySubjectResumesAfterItsSequence() async throws {
    let server = try NATSServer.start()
    defer { server.stop() }
    try Self.publishReadings(server, stream: "events")
    let root = Self.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    // Stream sequences run 1...12,000, subjects interleaved.
    await #expect(throws: JobError.self) {
      try await Self.runWindows(
        url: server.url, stream: "events", root: root, parallelism: 1, failAt: [4_001])
    }
    await #expect(throws: JobError.self) {
      try await Self.runWindows(
        url: server.url, stream: "events", root: root, parallelism: 3, failAt: [8_002])
    }
    try await Self.runWindows(
      url: server.url, stream: "events", root: root, parallelism: 2, failAt: [])
    // Skewed subjects, zero out-of-orderness: only per-subject watermarks
    // keep every record (one watermark over the merged stream would drop
    // most of subjects 0-2 as late).
    let lines = try Self.committedLines(root.appendingPathComponent("out"))
    #expect(lines.sorted() == Self.expectedLines().sorted())
  }

  @Test func malformedMessagesAreDeadLettersAndTheJobGoesOn() async throws {
    let server = try NATSServer.start()
    defer { server.stop() }
    try Self.publishReadings(server, stream: "bad", malformedEvery: 100)
    let root = Self.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let dead = CollectedRecords<JetStreamDeadLetter>()
    try await Self.runWindows(
      url: server.url, stream: "bad", root: root, parallelism: 2, failAt: [], deadLetters: dead)
    let letters = dead.values
    #expect(letters.count == Self.subjects * (Self.perSubject / 100))
    #expect(letters.allSatisfy { $0.payload == Array("garbage".utf8) && $0.streamSequence > 0 })
    #expect(Set(letters.map(\.subject)) == Set((0..<Self.subjects).map { "bad.\($0)" }))
    let lines = try Self.committedLines(root.appendingPathComponent("out"))
    #expect(lines.sorted() == Self.expectedLines(skipMalformedEvery: 100).sorted())
  }

  @Test func aServerRestartDuringTheRunLosesAndRepeatsNothing() async throws {
    let server = try NATSServer.start()
    defer { server.stop() }
    try Self.publishReadings(server, stream: "events")
    let root = Self.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let job = Task {
      try await Self.runWindows(
        url: server.url, stream: "events", root: root, parallelism: 2, failAt: [],
        slowSink: true)
    }
    try await Task.sleep(for: .milliseconds(400))
    server.stop()
    try await Task.sleep(for: .milliseconds(500))
    try server.restart()
    try await job.value
    let lines = try Self.committedLines(root.appendingPathComponent("out"))
    #expect(lines.sorted() == Self.expectedLines().sorted())
  }

  @Test func aServerThatStaysAwayFailsTheJobWithAClearError() async throws {
    let server = try NATSServer.start()
    defer { server.stop() }
    try Self.publishReadings(server, stream: "events")
    let root = Self.scratchDirectory()
    defer { try? FileManager.default.removeItem(at: root) }
    let job = Task {
      try await Self.runWindows(
        url: server.url, stream: "events", root: root, parallelism: 1, failAt: [],
        connectionLossTimeout: .seconds(1), slowSink: true)
    }
    try await Task.sleep(for: .milliseconds(300))
    server.stop()
    do {
      try await job.value
      Issue.record("the job should fail while the server is away")
    } catch {
      #expect("\(error)".contains("unreachable"), "\(error)")
    }
  }

  @Test func theExactlyOnceSinkRepublishesWithoutDuplicates() throws {
    let server = try NATSServer.start()
    defer { server.stop() }
    let connection = try NATSConnection(url: server.url)
    defer { connection.close() }
    let jetStream = try JetStream(connection)
    try jetStream.createStream(name: "out", subjects: ["out.>"])
    let publisher = JetStreamPublisher(url: server.url, subject: "out.results")
    let transaction = JetStreamTransaction(
      id: "tributary:job:Sink:0:7", payloads: (0..<100).map { Array("r\($0)".utf8) })
    try publisher.publish([transaction])
    // A new process (a restart) commits the restored checkpoint again.
    try JetStreamPublisher(url: server.url, subject: "out.results").publish([transaction])
    #expect(try jetStream.streamInfo(name: "out").messages == 100)
  }

  @Test func theExactlyOnceSinkRefusesAStreamWithAShortDuplicateWindow() async throws {
    let server = try NATSServer.start()
    defer { server.stop() }
    let connection = try NATSConnection(url: server.url)
    defer { connection.close() }
    try JetStream(connection).createStream(
      name: "short", subjects: ["short"], duplicateWindow: .seconds(5))
    let env = StreamEnvironment(parallelism: 1)
    env.fromCollection([1, 2, 3]).writeToJetStream(
      JetStreamSinkOptions(url: server.url, subject: "short", jobID: "j")
    ) { Array(String($0).utf8) }
    await #expect {
      _ = try await env.execute()
    } throws: { error in
      "\(error)".contains("duplicate window")
    }
    #expect(subject("a.b.c", matches: "a.*.c") && subject("a.b.c", matches: "a.>"))
    #expect(!subject("a.b", matches: "a.b.c") && !subject("a", matches: "a.>"))
  }

  @Test func unboundedModeFollowsTheStreamAsMessagesArrive() async throws {
    let server = try NATSServer.start()
    defer { server.stop() }
    let connection = try NATSConnection(url: server.url)
    defer { connection.close() }
    let jetStream = try JetStream(connection)
    try jetStream.createStream(name: "live", subjects: ["live.*"])
    func publish(_ range: Range<Int>) throws {
      _ = try jetStream.publishAll(
        range.map {
          JetStreamOutgoingMessage(
            subject: "live.\($0 % 2)", payload: Array("\($0),\($0),1".utf8), messageID: nil)
        })
    }
    try publish(0..<500)
    let env = StreamEnvironment(parallelism: 2)
    let out = env.jetStreamSource(
      JetStreamSourceOptions(url: server.url, stream: "live", bounded: false),
      timestamp: { $0.1.timestamp }, decode: Self.decode
    ).collect()
    let job = Task { try await env.execute() }
    defer { job.cancel() }
    #expect(try await Self.eventually { out.values.count == 500 })
    // Messages published while the job runs arrive too; the job keeps running.
    try publish(500..<1_000)
    #expect(try await Self.eventually { out.values.count == 1_000 })
    #expect(Set(out.values.map(\.1.key)) == Set((0..<1_000).map(Int64.init)))
    job.cancel()
    _ = try? await job.value
  }

  /// Polls `condition` every 10 ms for up to 20 s.
  static func eventually(_ condition: () -> Bool) async throws -> Bool {
    for _ in 0..<2_000 {
      if condition() { return true }
      try await Task.sleep(for: .milliseconds(10))
    }
    return condition()
  }

  /// A new directory path under the temporary directory (created by the job).
  static func scratchDirectory() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent(
      "tributary-js-\(UUID().uuidString)")
  }
}
