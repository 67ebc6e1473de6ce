/// The fixed word lists of the generator: Nexmark's US states and cities and
/// first and last names, and the bid channels with their URLs.
@usableFromInline
enum Vocabulary {
  static let states = ["AZ", "CA", "ID", "OR", "WA", "WY"]
  static let cities = [
    "Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle",
    "Kent", "Cheyenne",
  ]
  static let firstNames = [
    "Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter",
  ]
  static let lastNames = [
    "Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris",
  ]
  /// Every first name followed by a space and every last name, at
  /// `first * lastNames.count + last`.
  static let fullNames: [String] = firstNames.flatMap { first in
    lastNames.map { first + " " + $0 }
  }
  /// Half of all bids come from one of these.
  static let hotChannels = ["Google", "Facebook", "Baidu", "Apple"]
  /// Copies of each shared string (URLs, paddings) with their own storage,
  /// at most: a source of P subtasks makes event n use copy n mod P
  /// (``EventRandom/copy``), so no two subtasks retain and release the same
  /// string from two cores, and each touches one copy only.
  @usableFromInline static let copies = 8
  /// The names `channel-0` … `channel-9999`.
  static let channelNames: [String] = (0..<10_000).map { "channel-\($0)" }
  /// 64 KiB of random lowercase letters (fixed): `extra` padding is cut from it.
  static let letterPool = LetterPool()
  /// Prebuilt paddings, in ``copies`` copies, up to 1.2 times the default
  /// average auction size (the largest default), so every default
  /// configuration's padding is shared.
  static let paddings = PaddingPool(maxLength: 600, copies: copies)
  /// The hot channels' URLs, every copy in turn: see ``hotChannelURL(_:copy:)``.
  private static let hotChannelURLs = separateCopies(
    (0..<hotChannels.count).map { baseURL(seed: 0x4E58_0000 + UInt64($0)) })
  /// The URLs of the channels, every copy in turn: see ``channelURL(_:copy:)``.
  private static let channelURLs = separateCopies((0..<channelNames.count).map(makeChannelURL))

  /// Copy `copy` of hot channel `i`'s URL.
  @inline(__always)
  static func hotChannelURL(_ i: Int, copy: Int) -> String {
    hotChannelURLs[copy &* hotChannels.count &+ i]
  }

  /// Copy `copy` of the URL of `channel-i`.
  @inline(__always)
  static func channelURL(_ i: Int, copy: Int) -> String {
    channelURLs[copy &* channelNames.count &+ i]
  }

  /// The URL of `channel-i`; nine in ten carry a `channel_id`.
  private static func makeChannelURL(_ i: Int) -> String {
    var random = EventRandom(eventNumber: Int64(i), seed: 0x6368_616E_6E65_6C73)
    let base = baseURL(seed: random.next())
    guard random.nextInt(10) > 0 else { return base }
    return base + "&channel_id=\(abs(Int64(Int32(bitPattern: UInt32(i).bitReversed))))"
  }

  /// ``copies`` copies of `strings` one after the other (one flat array, so
  /// a lookup is one index), each string with storage of its own.
  private static func separateCopies(_ strings: [String]) -> [String] {
    (0..<copies).flatMap { _ in strings.map { String(decoding: Array($0.utf8), as: UTF8.self) } }
  }

  /// `https://www.nexmark.com/<a>/<b>/<c>/item.htm?query=1` with three random
  /// path segments of up to four letters or underscores.
  static func baseURL(seed: UInt64) -> String {
    var random = EventRandom(eventNumber: 0, seed: seed)
    func segment() -> String {
      let length = 3 + random.nextInt(2)
      var s = ""
      for _ in 0..<length {
        s.append(
          random.nextInt(13) == 0 ? "_" : Character(UnicodeScalar(0x61 + UInt8(random.nextInt(26))))
        )
      }
      return s
    }
    return "https://www.nexmark.com/\(segment())/\(segment())/\(segment())/item.htm?query=1"
  }
}

/// 64 KiB of random lowercase letters, allocated once for the life of the
/// process and never written after: copied from without reference counting.
struct LetterPool: @unchecked Sendable {
  let letters: UnsafeBufferPointer<UInt8>

  init() {
    var random = EventRandom(eventNumber: 0, seed: 0x6C65_7474_6572_73)
    let letters = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 65_536)
    for i in letters.indices { letters[i] = 0x61 + UInt8(random.nextInt(26)) }
    self.letters = UnsafeBufferPointer(letters)
  }
}

extension UInt32 {
  /// The bits of this value in reverse order.
  var bitReversed: UInt32 {
    var v = self
    var r: UInt32 = 0
    for _ in 0..<32 {
      r = (r << 1) | (v & 1)
      v >>= 1
    }
    return r
  }
}
