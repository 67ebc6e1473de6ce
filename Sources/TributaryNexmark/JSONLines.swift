/// JSON-lines text of events and results, with the field names Nexmark's
/// tables use (`dateTime` and `expires` in epoch milliseconds).
enum JSONText {
  /// `value` as a JSON string literal (quotes, backslashes and control
  /// characters escaped).
  static func quoted(_ value: String) -> String {
    var out = "\""
    for scalar in value.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }

  /// One JSON object of `fields` in the given order; values are already JSON text.
  static func object(_ fields: KeyValuePairs<String, String>) -> String {
    var out = "{"
    var first = true
    for (name, value) in fields {
      if !first { out += "," }
      first = false
      out += "\"\(name)\":\(value)"
    }
    return out + "}"
  }
}

extension NexmarkEvent {
  /// The event as one JSON object (no newline): `{"type":"person"|"auction"|"bid", …}`
  /// with the fields of its table.
  public var jsonLine: String {
    switch self {
    case .person(let p):
      JSONText.object([
        "type": "\"person\"", "id": "\(p.id)", "name": JSONText.quoted(p.name),
        "emailAddress": JSONText.quoted(p.emailAddress),
        "creditCard": JSONText.quoted(p.creditCard), "city": JSONText.quoted(p.city),
        "state": JSONText.quoted(p.state), "dateTime": "\(p.dateTime)",
        "extra": JSONText.quoted(p.extra),
      ])
    case .auction(let a):
      JSONText.object([
        "type": "\"auction\"", "id": "\(a.id)", "itemName": JSONText.quoted(a.itemName),
        "description": JSONText.quoted(a.description), "initialBid": "\(a.initialBid)",
        "reserve": "\(a.reserve)", "dateTime": "\(a.dateTime)", "expires": "\(a.expires)",
        "seller": "\(a.seller)", "category": "\(a.category)", "extra": JSONText.quoted(a.extra),
      ])
    case .bid(let b):
      JSONText.object([
        "type": "\"bid\"", "auction": "\(b.auction)", "bidder": "\(b.bidder)",
        "price": "\(b.price)", "channel": JSONText.quoted(b.channel),
        "url": JSONText.quoted(b.url), "dateTime": "\(b.dateTime)",
        "extra": JSONText.quoted(b.extra),
      ])
    }
  }
}
