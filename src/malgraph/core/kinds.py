"""The fixed vocabularies that cross module borders, as enums (StrEnum: each member is also
the text the store keeps, so a member compares equal to what a query returns)."""

from enum import StrEnum


class EdgeKind(StrEnum):
    """A stored relation's kind (the `edges.kind` column)."""

    DUPLICATED = "duplicated"  # the same package-version, claimed by several sources
    DUPLICATED_PACKAGE = "duplicated_package"  # the same package, at disjoint versions
    SIMILAR = "similar"  # code reuse between package-versions
    DEPENDS_ON = "depends_on"  # a package-version pulls in a malicious package


class NodeType(StrEnum):
    """What an edge's end names (the `edges.src_type`/`dst_type` columns)."""

    RECORD = "record"
    PACKAGE = "package"
    PACKAGE_VERSION = "package_version"
    SOURCE = "source"
    FAMILY = "family"


class RelateKind(StrEnum):
    """A relation `malgraph relate` recomputes."""

    MENTIONS = "mentions"  # the packages each report's text names (co-existing)
    SIMILAR = "similar"  # code reuse: similar edges and families
    DEPENDENCY = "dependency"  # depends-on edges


class GroupKind(StrEnum):
    """A kind of group of related packages whose evolution the report follows."""

    FAMILY = "family"  # a code family's package-versions
    DEPENDENCY = "dependency"  # packages weakly connected by depends-on links
    COREPORT = "coreport"  # the packages one report names, or one named campaign holds


class Rules(StrEnum):
    """How records are counted: malgraph's own identities, or the paper's sheet rows."""

    MALGRAPH = "malgraph"
    PAPER = "paper"


class LabelKind(StrEnum):
    """A group's kind in the MalGraph paper's labelling (the `label_groups.kind` column)."""

    SIMILAR = "similar"  # a code cluster of its similarity graph
    SIMILAR_RUN = "similar-run"  # a cluster of its own clustering run
    DUPLICATED = "duplicated"  # one package-version several sources report
    DEPENDENCY = "dependency"  # a dependency graph's packages
    DEPENDS_ON = "depends-on"  # one pair of it: from depends on to
    COEXISTING = "co-existing"  # the packages one report names


class IocKind(StrEnum):
    """What an indicator of compromise is (the `iocs.kind` column)."""

    URL = "url"
    WEBHOOK = "webhook"  # a URL of a chat service's incoming webhook (Discord, Slack, Telegram)
    DOMAIN = "domain"
    IP = "ip"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    WALLET = "wallet"  # a cryptocurrency address


class ArtifactKind(StrEnum):
    """Where a package's code came from (the `artifacts.kind` column; a DataDog sample's kind
    names its intent folder after it: `datadog-sample (malicious_intent)`)."""

    DATADOG_SAMPLE = "datadog-sample"
    REGISTRY = "registry"
    LOCAL_ARCHIVE = "local-archive"


class AnalysisStatus(StrEnum):
    """How far static analysis read an archive (the `code_analyses.status` column)."""

    OK = "ok"
    CAPPED = "capped"  # a cap stopped reading: the features are of what was read
    BROKEN = "broken"  # corruption stopped reading: the features are of what was read
    UNREADABLE = "unreadable"  # nothing could be read


class FindingCategory(StrEnum):
    """The kind of sensitive behaviour a code finding shows (`Finding.category`)."""

    PROCESS = "process"
    EVAL = "eval"
    DYNAMIC_IMPORT = "dynamic-import"
    NETWORK = "network"
    STARTUP_WRITE = "startup-write"
    ENV = "env"
    CREDENTIALS = "credentials"
    DECODE = "decode"


class ObfuscationKind(StrEnum):
    """A sign that a file was made hard to read (`ObfuscationSign.sign`)."""

    HIGH_ENTROPY = "high-entropy"
    LONG_ENCODED_STRING = "long-encoded-string"
    MINIFIED = "minified"


class CodeLanguage(StrEnum):
    """A language whose code the analysers parse (the `code_files.language` column)."""

    PYTHON = "python"
    JAVASCRIPT = "javascript"  # TypeScript included
    RUBY = "ruby"


class ImportKind(StrEnum):
    """How code imports a module (`Import.kind`, the `code_imports.kind` column)."""

    IMPORT = "import"  # Python `import m`
    FROM = "from"  # Python `from m import x`
    DYNAMIC = "dynamic"  # `importlib.import_module('m')`, `__import__`, JavaScript `import('m')`
    REQUIRE = "require"  # JavaScript `require('m')`, Ruby `require 'm'`
    ESM = "esm"  # JavaScript `import x from 'm'`, `export ... from 'm'`
    REQUIRE_RELATIVE = "require_relative"  # Ruby
    LOAD = "load"  # Ruby `load 'file.rb'`


class MemberRole(StrEnum):
    """A member's place in another study's group (the `label_members.role` column)."""

    MEMBER = "member"
    FROM = "from"  # in a dependency pair: the dependent
    TO = "to"  # in a dependency pair: the package depended on


class SimilarTier(StrEnum):
    """How close two package-versions' code is (a similar edge's `tier`)."""

    IDENTICAL_ARCHIVE = "identical-archive"  # the same archive bytes
    IDENTICAL_FILES = "identical-files"  # the same code files
    IDENTICAL_NORMALISED = "identical-normalised"  # the same normalised token stream
    NEAR_DUPLICATE = "near-duplicate"  # MinHash-estimated Jaccard of token shingles
    MODEL = "model"  # an embedding model's cosine (relations.embedding)


class CountLevel(StrEnum):
    """What a count counts: package-versions, or packages whatever their version."""

    VERSION = "version"
    PACKAGE = "package"


class CodeEcosystem(StrEnum):
    """An ecosystem whose packages malgraph fetches and analyses (OSV spelling). Other
    ecosystems stay open text (core.identity.Ecosystem)."""

    NPM = "npm"
    PYPI = "PyPI"
    RUBYGEMS = "RubyGems"


class SourceKind(StrEnum):
    """What a source is (the `sources.kind` column)."""

    FEED = "feed"  # it publishes files
    ORIGIN = "origin"  # a reporter a feed's records name inside one


class RegistryStatus(StrEnum):
    """What a registry said of a package-version (the `registry_observations.status` column)."""

    PRESENT = "present"
    REMOVED = "removed"
    ERROR = "error"  # it could not be asked, or answered something else


class DependencyVia(StrEnum):
    """What shows a depends-on link (its evidence's `via`)."""

    MANIFEST = "manifest"  # a dependency an archive's manifest declares
    IMPORT = "import"  # an import in an archive's code
    SOURCE = "source"  # a dependency list a source gives


class DependencyMatch(StrEnum):
    """How a depends-on link reaches its target (its evidence's `match`)."""

    VERSION = "version"  # a malicious version is admitted
    NAME_ONLY = "name-only"  # the same name, no malicious version shown reached


class EvidenceKind(StrEnum):
    """A kind of evidence that packages come from one actor (insights.campaigns)."""

    REPORTS = "reports"  # a report naming them
    FAMILIES = "families"  # one code family holding versions of them
    DEPENDENCIES = "dependencies"  # a depends-on link
    IOCS = "iocs"  # one IoC seen on them


class DependencyKind(StrEnum):
    """Where a manifest declares a dependency (the `code_dependencies.kind` column): the
    manifest's own field or file, as the analysers name it."""

    DEPENDENCIES = "dependencies"  # package.json, pyproject's [project] or Poetry's table
    DEV_DEPENDENCIES = "devDependencies"
    OPTIONAL_DEPENDENCIES = "optionalDependencies"
    PEER_DEPENDENCIES = "peerDependencies"
    BUNDLED_DEPENDENCIES = "bundledDependencies"
    BUNDLED = "bundled"  # a package shipped inside the archive's node_modules
    REQUIREMENTS = "requirements"  # a requirements file
    INSTALL_REQUIRES = "install_requires"
    SETUP_REQUIRES = "setup_requires"
    TESTS_REQUIRE = "tests_require"
    EXTRAS_REQUIRE = "extras_require"
    BUILD_SYSTEM = "build-system"
    RUNTIME = "runtime"  # a gemspec's runtime dependency
    DEVELOPMENT = "development"  # a gemspec's development dependency
    GEMFILE = "gemfile"  # a Gemfile's gem


class ExportFormat(StrEnum):
    """A format `malgraph export` writes."""

    OSV = "osv"  # one OSV record per malicious package, every source's claim merged
    STIX = "stix"  # a STIX 2.1 bundle
    GRAPHML = "graphml"  # GraphML, every node and edge kind with attributes
    NODE_LINK = "node-link"  # NetworkX node-link JSON, as the paper's artifact ships its graph
    NEO4J = "neo4j"  # CSV files in the neo4j-admin import layout, and a Cypher script
    PARQUET = "parquet"  # tables of packages, versions, claims, edges, families, IoCs, reports
    CSV = "csv"  # the same tables as CSV


class GraphNodeKind(StrEnum):
    """What a node of an exported graph stands for."""

    PACKAGE = "package"
    VERSION = "version"  # a package-version
    RECORD = "record"  # a source's claim, or the merged record a feed's document gives
    SOURCE = "source"
    REPORT = "report"
    CAMPAIGN = "campaign"
    IOC = "ioc"
    FAMILY = "family"


class GraphLinkKind(StrEnum):
    """An exported edge that the store keeps as a row of its own tables, not in `edges`."""

    CLAIMS = "claims"  # record -> the package it names
    CLAIMS_VERSION = "claims_version"  # record -> a package-version it names
    PART_OF = "part_of"  # a merged record's claim -> the merged record
    FROM_SOURCE = "from_source"  # record or campaign -> the source that gives it
    VERSION_OF = "version_of"  # package-version -> package
    CITES = "cites"  # record -> a report among its references
    MENTIONS = "mentions"  # report -> a package its text names (co-existing)
    LINKS = "links"  # report -> a package a workbook links it to (co-existing)
    IN_FAMILY = "in_family"  # package-version -> its code family
    IN_CAMPAIGN = "in_campaign"  # record -> a campaign that counts it
    SIGHTED = "sighted"  # record, report or campaign -> an IoC seen in it


class Severity(StrEnum):
    """How bad a `malgraph check` finding is, worst first (`Severity.rank` orders them)."""

    MALICIOUS = "malicious"  # a source claims it malicious, or it is a copy of known malware
    SUSPICIOUS = "suspicious"  # near known malware by code or by what it pulls in
    WARNING = "warning"  # worth a look: a name like a typosquat's

    @property
    def rank(self) -> int:
        """0 for the worst; a finding is "at or above" a level when its rank is not greater."""
        return list(Severity).index(self)


class FindingKind(StrEnum):
    """What a `malgraph check` finding says of a package."""

    MALICIOUS_VERSION = "malicious-version"  # the exact package-version is claimed malicious
    MALICIOUS_PACKAGE = "malicious-package"  # a claim on every version, or versions unknown
    PULLS_IN_MALICIOUS = "pulls-in-malicious"  # its code depends on a malicious package
    SIMILAR_TO_MALICIOUS = "similar-to-malicious"  # its code is (nearly) known malware's
    NAME_LIKE_MALICIOUS = "name-like-malicious"  # its name is a known typosquat's, nearly


class CheckFormat(StrEnum):
    """How `malgraph check` prints its findings."""

    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    MARKDOWN = "markdown"


class SearchKind(StrEnum):
    """What a hit of the explorer's search names, and so which page it opens."""

    PACKAGE = "package"
    IOC = "ioc"
    REPORT = "report"
    FAMILY = "family"
    CAMPAIGN = "campaign"
    SOURCE = "source"


class WebLinkKind(StrEnum):
    """A link of the explorer's neighbourhood graph that is not a stored relation: a package
    in a family, named by a report, in a campaign, or seen with an IoC."""

    FAMILY = "family"
    REPORT = "report"
    CAMPAIGN = "campaign"
    IOC = "ioc"


class ScanDialect(StrEnum):
    """How one file's bytes are scanned, and so part of the key its memoised scan is stored
    under: its language, with TypeScript apart (read with the JavaScript grammar, its syntax
    errors are expected and not reported) and scripts in no language we parse (searched for
    IoCs only)."""

    PYTHON = "python"
    JAVASCRIPT = "javascript"
    TYPESCRIPT = "typescript"
    RUBY = "ruby"
    SCRIPT = "script"
