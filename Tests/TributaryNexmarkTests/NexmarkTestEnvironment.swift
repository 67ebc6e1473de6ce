import Foundation
import Tributary

/// A job environment for a Nexmark test: `parallelism` subtasks, state of
/// kind `backend` in a fresh temporary directory named after `name`, which
/// the caller removes (the returned path).
func nexmarkTestEnvironment(
  _ name: String, parallelism: Int, backend: StateBackendConfiguration.Kind
) -> (env: StreamEnvironment, directory: String) {
  let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("\(name)-\(UUID().uuidString)").path
  var config = JobConfiguration()
  config.parallelism = parallelism
  config.stateBackend = StateBackendConfiguration(kind: backend, directory: directory)
  return (StreamEnvironment(configuration: config), directory)
}
