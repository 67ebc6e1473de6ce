import ArgumentParser

/// `tributary-bench`: the canonical workloads against the engine, with an
/// engine-free yardstick measured in the same invocation.
@main
struct TributaryBench: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tributary-bench",
    abstract: "Benchmarks of the Tributary stream engine.",
    subcommands: [
      RunCommand.self, RecoverCommand.self, SweepCommand.self, KeyGroupsCommand.self,
      JetStreamCommand.self, NexmarkCommand.self, ExchangeCommand.self,
      ExchangeInstanceCommand.self,
    ])
}
