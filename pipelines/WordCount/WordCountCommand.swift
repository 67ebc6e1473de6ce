import ArgumentParser
import Foundation
import Tributary
import TributaryCLI

/// A running count of one word.
struct WordCount: Sendable, Equatable, Codable, BinaryCodable {
  var word: String
  var count: Int
}

/// `word-count [FILE]`: a keyed running count of the words of a text file (or
/// of a generated text), printing the most frequent words at the end.
@main
struct WordCountCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "word-count",
    abstract: "Count words with a Tributary pipeline and print the most frequent ones.")

  @Argument(help: "A text file to read; without it, a generated text is counted.")
  var file: String?

  @Option(help: "Lines of generated text (without FILE).")
  var lines: Int = 200_000

  @Option(help: "How many of the most frequent words to print.")
  var top: Int = 10

  @OptionGroup var pipeline: PipelineOptions

  func validate() throws {
    guard lines >= 0 else { throw ValidationError("--lines must not be negative") }
    guard top >= 1 else { throw ValidationError("--top must be at least 1") }
  }

  func run() async throws {
    let env = pipeline.makeEnvironment()
    let text: DataStream<String> =
      if let file {
        // A line that is not valid UTF-8 is skipped with a warning naming
        // the file and line; the rest of the file is counted.
        env.readTextFile(
          file,
          onBadLine: .deadLetter { bad in
            FileHandle.standardError.write(Data("skipping \(bad)\n".utf8))
          })
      } else {
        env.generate(count: lines, name: "GeneratedText") { GeneratedText.line($0) }
      }
    let top = self.top
    text
      .flatMap(name: "Tokenize") { line in
        line.split(whereSeparator: { !$0.isLetter && !$0.isNumber })
          .map { WordCount(word: $0.lowercased(), count: 1) }
      }
      .keyBy { $0.word }
      .reduce(name: "Count") { WordCount(word: $0.word, count: $0.count + $1.count) }
      .sink(name: "TopWords") { _ in TopWordsSink(top: top) }
      .parallelism(1)
    print("physical plan:\n\(try env.explain())")
    let finished = try await pipeline.run(env)
    if !finished { print("stopped by signal") }
  }
}
