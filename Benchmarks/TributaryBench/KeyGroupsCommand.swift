import ArgumentParser
import Tributary

/// `tributary-bench key-groups`: prints the key group of each given key, so
/// tests can check that the stable hash agrees between separate processes.
struct KeyGroupsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "key-groups", abstract: "Print the key group of each key (strings and integers).")

  @Option(help: "Number of key groups.")
  var maxParallelism = KeyGroups.defaultMaxParallelism

  @Argument(help: "Keys; a key prefixed with 'i:' is an Int64.")
  var keys: [String]

  func run() throws {
    var scratch = BinaryWriter()
    for key in keys {
      let group: Int
      if key.hasPrefix("i:"), let number = Int64(key.dropFirst(2)) {
        group = KeyGroups.keyGroup(of: number, maxParallelism: maxParallelism, scratch: &scratch)
      } else {
        group = KeyGroups.keyGroup(of: key, maxParallelism: maxParallelism, scratch: &scratch)
      }
      print("\(key) \(group)")
    }
  }
}
