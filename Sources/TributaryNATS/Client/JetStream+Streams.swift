import CNATS

extension JetStream {
  /// Creates the stream `name` capturing `subjects` (wildcards allowed), keeping messages
  /// until deleted, dropping messages whose message ID was seen within `duplicateWindow`.
  ///
  /// Succeeds without change when an identical stream already exists; throws
  /// `.jetStream` (error code 10058) when a stream of that name exists with another
  /// configuration, or when the subjects overlap another stream's.
  public func createStream(
    name: String, subjects: [String], duplicateWindow: Duration = .seconds(120),
    storage: JetStreamStorage = .file
  ) throws(NATSError) {
    var config = jsStreamConfig()
    try NATSStatus.check(jsStreamConfig_Init(&config), operation: "initialise stream config")
    config.Duplicates = duplicateWindow.natsNanoseconds
    config.Storage = storage == .file ? js_FileStorage : js_MemoryStorage
    var jsError = jsErrCode(rawValue: 0)
    let status = withCStringArray(subjects) { subjectArray, count in
      name.withCString { name in
        config.Name = name
        config.Subjects = subjectArray
        config.SubjectsLen = count
        return js_AddStream(nil, context, &config, nil, &jsError)
      }
    }
    try NATSStatus.check(status, jsError: jsError, operation: "create stream \(name)")
  }

  /// Deletes the stream `name` and all its messages. Throws `.streamNotFound` when it does
  /// not exist.
  public func deleteStream(name: String) throws(NATSError) {
    var jsError = jsErrCode(rawValue: 0)
    let status = js_DeleteStream(context, name, nil, &jsError)
    try NATSStatus.check(
      status, jsError: jsError, operation: "delete stream \(name)", stream: name)
  }

  /// The configuration and current state of the stream `name`, one request to the server.
  /// Throws `.streamNotFound` when it does not exist.
  public func streamInfo(name: String) throws(NATSError) -> JetStreamStreamInfo {
    try withStreamInfo(name: name, subjectsFilter: nil) { info in
      let config = info.Config?.pointee
      return JetStreamStreamInfo(
        name: config?.Name.map { String(cString: $0) } ?? name,
        configuredSubjects: stringsFromCArray(config?.Subjects, count: config?.SubjectsLen ?? 0),
        duplicateWindow: .nanoseconds(config?.Duplicates ?? 0),
        messages: info.State.Msgs,
        firstSequence: info.State.FirstSeq,
        lastSequence: info.State.LastSeq, bytes: info.State.Bytes)
    }
  }

  /// The subjects of stream `name` that currently hold messages, with how many each holds.
  /// Sorted keys are the splits a source discovers. nats.c pages through large subject lists,
  /// so all subjects are returned. Throws `.streamNotFound` when the stream does not exist.
  public func subjects(ofStream name: String) throws(NATSError) -> [String: UInt64] {
    try withStreamInfo(name: name, subjectsFilter: ">") { info in
      guard let subjects = info.State.Subjects?.pointee, let list = subjects.List else {
        return [:]
      }
      var counts: [String: UInt64] = [:]
      counts.reserveCapacity(Int(subjects.Count))
      for index in 0..<Int(subjects.Count) {
        guard let subject = list[index].Subject else { continue }
        counts[String(cString: subject), default: 0] += list[index].Msgs
      }
      return counts
    }
  }

  /// The stream sequence of the newest message on `subject` in `stream`, or nil when the
  /// subject holds no message. Throws `.streamNotFound` when the stream does not exist.
  public func lastSequence(stream: String, subject: String) throws(NATSError) -> UInt64? {
    var message: OpaquePointer?
    var jsError = jsErrCode(rawValue: 0)
    var options = requestOptions()
    let status = js_GetLastMsg(&message, context, stream, subject, &options, &jsError)
    defer { natsMsg_Destroy(message) }
    if status == NATS_NOT_FOUND && jsError == JSNoMessageFoundErr {
      return nil
    }
    try NATSStatus.check(
      status, jsError: jsError, operation: "get last message of \(stream) \(subject)",
      stream: stream)
    return natsMsg_GetSequence(message)
  }

  /// The names of every stream on the server, sorted.
  public func streamNames() throws(NATSError) -> [String] {
    var list: UnsafeMutablePointer<jsStreamNamesList>?
    var jsError = jsErrCode(rawValue: 0)
    var options = requestOptions()
    let status = js_StreamNames(&list, context, &options, &jsError)
    defer { jsStreamNamesList_Destroy(list) }
    if status == NATS_NOT_FOUND { return [] }
    try NATSStatus.check(status, jsError: jsError, operation: "list streams")
    guard let names = list?.pointee, let pointers = names.List else { return [] }
    return (0..<Int(names.Count)).compactMap { pointers[$0].map { String(cString: $0) } }.sorted()
  }

  /// Runs `body` on nats.c's stream info for `name` (with the subject list when
  /// `subjectsFilter` is given), destroying it afterwards.
  private func withStreamInfo<Result>(
    name: String, subjectsFilter: String?, _ body: (jsStreamInfo) -> Result
  ) throws(NATSError) -> Result {
    var info: UnsafeMutablePointer<jsStreamInfo>?
    var jsError = jsErrCode(rawValue: 0)
    var options = requestOptions()
    let status: natsStatus
    if let subjectsFilter {
      status = subjectsFilter.withCString { filter in
        options.Stream.Info.SubjectsFilter = filter
        return js_GetStreamInfo(&info, context, name, &options, &jsError)
      }
    } else {
      status = js_GetStreamInfo(&info, context, name, &options, &jsError)
    }
    defer { jsStreamInfo_Destroy(info) }
    try NATSStatus.check(
      status, jsError: jsError, operation: "get info of stream \(name)", stream: name)
    guard let info else {
      throw .streamNotFound(name)
    }
    return body(info.pointee)
  }
}
