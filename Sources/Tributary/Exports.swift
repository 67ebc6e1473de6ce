@_exported import TributaryCodec
