import CNATS

/// Opens the nats.c library once per process, on first use, thread-safely.
enum NATSLibrary {
  /// The status of the single `nats_Open` call (Swift runs a static initialiser exactly once).
  private static let openStatus: UInt32 = nats_Open(-1).rawValue

  /// Makes sure `nats_Open` has run; throws if it failed.
  static func open() throws(NATSError) {
    let status = natsStatus(rawValue: openStatus)
    if status != NATS_OK {
      throw NATSStatus.error(status, operation: "library initialisation (nats_Open)")
    }
  }
}
