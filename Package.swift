// swift-tools-version: 6.0
import PackageDescription

/// Release builds let client modules specialise the engine's generic hot paths
/// (operator kernels, partitioners) for their record types.
let crossModule: [SwiftSetting] = [
  .unsafeFlags(
    ["-cross-module-optimization", "-enforce-exclusivity=unchecked"],
    .when(configuration: .release))
]

/// Pipelines and the benchmark allocate through mimalloc on Linux (Debian's
/// libmimalloc-dev): glibc's malloc and free were 15 to 20 % of the samples of
/// string-heavy pipelines (Nexmark q0–q2, a string per event), and mimalloc
/// took those queries from 3.0 M to 3.9 M events per CPU second. Linked as a
/// shared library ahead of libc, it replaces malloc and free process-wide
/// (RocksDB's and the Swift runtime's allocations included).
let fastAllocator: [LinkerSetting] = [.linkedLibrary("mimalloc", .when(platforms: [.linux]))]

let package = Package(
  name: "Tributary",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "Tributary", targets: ["Tributary"]),
    .library(name: "TributaryCLI", targets: ["TributaryCLI"]),
    .library(name: "TributaryPostgres", targets: ["TributaryPostgres"]),
    .library(name: "TributaryNATS", targets: ["TributaryNATS"]),
    .library(name: "TributaryWeb", targets: ["TributaryWeb"]),
    .library(name: "TributaryNexmark", targets: ["TributaryNexmark"]),
    .executable(name: "word-count", targets: ["WordCount"]),
    .executable(name: "windowed-counts", targets: ["WindowedCounts"]),
    .executable(name: "order-payments", targets: ["OrderPayments"]),
    .executable(name: "stream-joins", targets: ["StreamJoins"]),
    .executable(name: "tributary-bench", targets: ["TributaryBench"]),
    .executable(name: "nexmark", targets: ["Nexmark"]),
    .executable(name: "anomaly-detection", targets: ["AnomalyDetection"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
    .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.65.0"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
  ],
  targets: [
    .systemLibrary(
      name: "CRocksDB",
      path: "Sources/CRocksDB",
      pkgConfig: "rocksdb",
      providers: [.apt(["librocksdb-dev"])]
    ),
    .target(
      name: "RocksDB",
      dependencies: ["CRocksDB"],
      path: "Sources/RocksDB",
      swiftSettings: crossModule
    ),
    .systemLibrary(
      name: "CLibPQ",
      path: "Sources/CLibPQ",
      pkgConfig: "libpq",
      providers: [.apt(["libpq-dev"])]
    ),
    .target(
      name: "TributaryPostgres",
      dependencies: ["CLibPQ", "Tributary", .product(name: "Logging", package: "swift-log")],
      path: "Sources/TributaryPostgres"
    ),
    .systemLibrary(
      name: "CNATS",
      path: "Sources/CNATS",
      pkgConfig: "libnats",
      providers: [.apt(["libnats-dev"])]
    ),
    .target(
      name: "TributaryNATS",
      dependencies: [
        "CNATS", "Tributary",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "CoreMetrics", package: "swift-metrics"),
      ],
      path: "Sources/TributaryNATS",
      swiftSettings: crossModule
    ),
    .target(
      name: "CTributarySupport",
      path: "Sources/CTributarySupport"
    ),
    .target(
      name: "TributaryCodec",
      path: "Sources/TributaryCodec",
      swiftSettings: crossModule
    ),
    .target(
      name: "Tributary",
      dependencies: [
        "TributaryCodec",
        "CTributarySupport",
        "RocksDB",
        .product(name: "DequeModule", package: "swift-collections"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "CoreMetrics", package: "swift-metrics"),
      ],
      path: "Sources/Tributary",
      swiftSettings: crossModule
    ),
    .target(
      name: "TributaryWeb",
      dependencies: [
        "Tributary",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "CoreMetrics", package: "swift-metrics"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ],
      path: "Sources/TributaryWeb"
    ),
    .target(
      name: "TributaryNexmark",
      dependencies: ["Tributary"],
      path: "Sources/TributaryNexmark",
      swiftSettings: crossModule
    ),
    .target(
      name: "TributaryCLI",
      dependencies: [
        "Tributary",
        "TributaryWeb",
        "TributaryNATS",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      path: "Sources/TributaryCLI",
      linkerSettings: fastAllocator
    ),
    .executableTarget(
      name: "WordCount",
      dependencies: ["Tributary", "TributaryCLI"],
      path: "pipelines/WordCount"
    ),
    .executableTarget(
      name: "WindowedCounts",
      dependencies: ["Tributary", "TributaryCLI", "TributaryNATS", "TributaryPostgres"],
      path: "pipelines/WindowedCounts"
    ),
    .executableTarget(
      name: "OrderPayments",
      dependencies: ["Tributary", "TributaryCLI"],
      path: "pipelines/OrderPayments"
    ),
    .executableTarget(
      name: "StreamJoins",
      dependencies: ["Tributary", "TributaryCLI"],
      path: "pipelines/StreamJoins"
    ),
    .executableTarget(
      name: "Nexmark",
      dependencies: ["Tributary", "TributaryCLI", "TributaryNexmark"],
      path: "pipelines/Nexmark",
      swiftSettings: crossModule
    ),
    .target(
      name: "AnomalyDetectionCore",
      dependencies: ["Tributary"],
      path: "pipelines/AnomalyDetection/Core",
      swiftSettings: crossModule
    ),
    .executableTarget(
      name: "AnomalyDetection",
      dependencies: [
        "AnomalyDetectionCore", "Tributary", "TributaryCLI", "TributaryNATS", "TributaryPostgres",
      ],
      path: "pipelines/AnomalyDetection/Main",
      swiftSettings: crossModule
    ),
    .executableTarget(
      name: "TributaryBench",
      dependencies: [
        "Tributary",
        "TributaryNATS",
        "RocksDB",
        "CRocksDB",
        "TributaryWeb",
        "TributaryNexmark",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Histogram", package: "hdrhistogram-swift"),
      ],
      path: "Benchmarks/TributaryBench",
      linkerSettings: fastAllocator
    ),
    .testTarget(
      name: "TributaryTests",
      dependencies: [
        "Tributary", "TributaryNATS", "TributaryPostgres", "TestServers",
        .product(name: "Logging", package: "swift-log"),
        .product(name: "CoreMetrics", package: "swift-metrics"),
        .product(name: "MetricsTestKit", package: "swift-metrics"),
      ],
      path: "Tests/TributaryTests"
    ),
    .testTarget(
      name: "TributaryWebTests",
      dependencies: [
        "TributaryWeb", "Tributary", "TestServers",
        .product(name: "Hummingbird", package: "hummingbird"),
      ],
      path: "Tests/TributaryWebTests"
    ),
    .testTarget(
      name: "TributaryCodecTests",
      dependencies: ["TributaryCodec"],
      path: "Tests/TributaryCodecTests"
    ),
    .testTarget(
      name: "RocksDBTests",
      dependencies: ["RocksDB"],
      path: "Tests/RocksDBTests"
    ),
    .testTarget(
      name: "AnomalyDetectionTests",
      dependencies: ["AnomalyDetectionCore", "Tributary"],
      path: "Tests/AnomalyDetectionTests",
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "TributaryCLITests",
      dependencies: ["TributaryCLI", .product(name: "Logging", package: "swift-log")],
      path: "Tests/TributaryCLITests"
    ),
    .target(
      name: "TestServers",
      path: "Tests/TestServers"
    ),
    .testTarget(
      name: "TributaryNATSTests",
      dependencies: ["TributaryNATS", "Tributary", "TestServers"],
      path: "Tests/TributaryNATSTests"
    ),
    .testTarget(
      name: "TributaryBenchTests",
      dependencies: ["TestServers"],
      path: "Tests/TributaryBenchTests"
    ),
    .testTarget(
      name: "TributaryNexmarkTests",
      dependencies: ["TributaryNexmark", "Tributary", "TestServers"],
      path: "Tests/TributaryNexmarkTests"
    ),
    .testTarget(
      name: "TributaryPostgresTests",
      dependencies: ["TributaryPostgres", "Tributary", "TestServers"],
      path: "Tests/TributaryPostgresTests"
    ),
  ],
  swiftLanguageModes: [.v6]
)
