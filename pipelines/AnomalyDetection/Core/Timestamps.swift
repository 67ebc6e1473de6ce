/// Calendar arithmetic for timestamps (UTC, proleptic Gregorian), without
/// Foundation so that parsing a line allocates nothing.
public enum Timestamps {
  /// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
  public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  /// The civil date of a day number (inverse of ``daysFromCivil(year:month:day:)``).
  public static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }

  /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff]` (or with `T` between date and time,
  /// optionally ending in `Z`) as UTC milliseconds since the epoch; `nil` when
  /// the text is not such a timestamp or a field is out of range.
  public static func parse<S: StringProtocol>(_ text: S) -> Int64? {
    var utf8 = Array(text.utf8)
    if utf8.last == UInt8(ascii: "Z") { utf8.removeLast() }
    guard utf8.count >= 19, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-"),
      utf8[10] == UInt8(ascii: " ") || utf8[10] == UInt8(ascii: "T"),
      utf8[13] == UInt8(ascii: ":"), utf8[16] == UInt8(ascii: ":")
    else { return nil }
    func digits(_ from: Int, _ count: Int) -> Int? {
      var value = 0
      for i in from..<(from + count) {
        let c = utf8[i]
        guard c >= 0x30 && c <= 0x39 else { return nil }
        value = value * 10 + Int(c - 0x30)
      }
      return value
    }
    guard let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
      let hour = digits(11, 2), let minute = digits(14, 2), let second = digits(17, 2),
      (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
    else { return nil }
    var millis = 0
    if utf8.count > 19 {
      guard utf8[19] == UInt8(ascii: "."), utf8.count > 20 else { return nil }
      var scale = 100
      for i in 20..<utf8.count {
        let c = utf8[i]
        guard c >= 0x30 && c <= 0x39 else { return nil }
        millis += Int(c - 0x30) * scale
        scale /= 10
      }
    }
    let days = daysFromCivil(year: year, month: month, day: day)
    guard civil(fromDays: days) == (year, month, day) else { return nil }
    return Int64(((days * 24 + hour) * 60 + minute) * 60 + second) * 1_000 + Int64(millis)
  }

  /// `millis` as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
  public static func iso8601(millis: Int64) -> String {
    let ms = Int(((millis % 1_000) + 1_000) % 1_000)
    let seconds = Int((millis - Int64(ms)) / 1_000)
    let days = Int((Double(seconds) / 86_400).rounded(.down))
    let secondOfDay = seconds - days * 86_400
    let date = civil(fromDays: days)
    func pad(_ value: Int, _ width: Int) -> String {
      let text = String(value)
      return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    return "\(pad(date.year, 4))-\(pad(date.month, 2))-\(pad(date.day, 2))T"
      + "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
      + ".\(pad(ms, 3))Z"
  }
}
