/// Tributary: stream processing for Swift.
///
/// Re-exports the binary codec so that users can make their key and state
/// types ``BinaryCodable`` with a single `import Tributary`.
@_exported import TributaryCodec
