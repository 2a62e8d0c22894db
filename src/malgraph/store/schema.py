"""The store's schema as an append-only list of migrations; PRAGMA user_version is the index."""

# Never edit a released migration: append a new one. Each runs in one transaction.
MIGRATIONS: list[str] = [
    # 1: records, packages, reports, edges, and the bookkeeping that makes ingest incremental.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO meta VALUES ('next_record_id', 1);

    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL            -- 'feed' publishes files; 'origin' is a reporter inside one
    );

    CREATE TABLE packages (
        id INTEGER PRIMARY KEY,
        ecosystem TEXT NOT NULL,
        name TEXT NOT NULL,           -- canonical (see identity.canonical_name)
        ecosystem_known INTEGER NOT NULL,
        purl TEXT NOT NULL,
        UNIQUE (ecosystem, name)
    );

    CREATE TABLE package_versions (
        id INTEGER PRIMARY KEY,
        package_id INTEGER NOT NULL REFERENCES packages(id),
        version TEXT NOT NULL,        -- canonical (PEP 440 for PyPI)
        purl TEXT NOT NULL,
        UNIQUE (package_id, version)
    );

    CREATE TABLE records (
        id INTEGER PRIMARY KEY,       -- allocated from meta.next_record_id, never reused
        source_id INTEGER NOT NULL REFERENCES sources(id),
        source_record_id TEXT NOT NULL,
        parent_id INTEGER REFERENCES records(id) ON DELETE CASCADE,
        role TEXT NOT NULL,           -- 'claim' or 'merged'
        package_id INTEGER NOT NULL REFERENCES packages(id),
        name_given TEXT NOT NULL,
        scope TEXT NOT NULL,          -- listed / all / range / unknown
        versions TEXT NOT NULL,       -- JSON list, as given
        ranges TEXT,
        published TEXT, modified TEXT, withdrawn TEXT, imported TEXT, released TEXT, removed TEXT,
        aliases TEXT, refs TEXT, credits TEXT, iocs TEXT,
        summary TEXT, details TEXT,
        raw_sha256 TEXT NOT NULL,     -- the source's own hash of its report, when it gives one
        document_sha256 TEXT          -- the input it came from (top-level records only)
    );
    CREATE INDEX records_by_source_record ON records (source_id, source_record_id);
    CREATE INDEX records_by_document ON records (document_sha256) WHERE parent_id IS NULL;
    CREATE INDEX records_by_package ON records (package_id);
    CREATE INDEX records_by_parent ON records (parent_id) WHERE parent_id IS NOT NULL;

    CREATE TABLE record_versions (
        record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
        version_id INTEGER NOT NULL REFERENCES package_versions(id),
        PRIMARY KEY (record_id, version_id)
    ) WITHOUT ROWID;
    CREATE INDEX record_versions_by_version ON record_versions (version_id);

    CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        url_key TEXT NOT NULL UNIQUE, -- normalised (see urls.url_key)
        url TEXT NOT NULL,            -- as first seen
        site TEXT NOT NULL,
        title TEXT,
        published TEXT
    );

    CREATE TABLE record_reports (
        record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
        report_id INTEGER NOT NULL REFERENCES reports(id),
        ref_type TEXT NOT NULL,
        PRIMARY KEY (record_id, report_id)
    ) WITHOUT ROWID;
    CREATE INDEX record_reports_by_report ON record_reports (report_id);

    CREATE TABLE edges (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        src_type TEXT NOT NULL, src_id INTEGER NOT NULL,
        dst_type TEXT NOT NULL, dst_id INTEGER NOT NULL,
        evidence TEXT NOT NULL,       -- JSON: what proves the edge
        confidence REAL NOT NULL,
        step TEXT NOT NULL            -- which step made it
    );
    CREATE INDEX edges_by_src ON edges (src_type, src_id, kind);
    CREATE INDEX edges_by_dst ON edges (dst_type, dst_id, kind);

    -- Every accepted input document by content hash: the same bytes are never ingested twice.
    -- A document has a key within its feed (an OSV id, a list's name); of the versions seen,
    -- the current one is the latest by (modified, sha256), and its records are in the store.
    CREATE TABLE documents (
        sha256 TEXT PRIMARY KEY,
        feed TEXT NOT NULL,
        doc_key TEXT NOT NULL,
        modified TEXT NOT NULL,
        current INTEGER NOT NULL,
        path TEXT NOT NULL,
        outcome TEXT NOT NULL,        -- added / replaced / stale
        ingested_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX current_documents ON documents (feed, doc_key) WHERE current;

    -- A stat cache in front of the hashes, as git's index: unchanged files are not even read.
    CREATE TABLE input_files (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        sha256 TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    # 2: report texts and mentions, IoCs, campaigns, what sources say of code availability.
    """
    ALTER TABLE records ADD COLUMN available INTEGER;  -- the source says it has the code
    ALTER TABLE records ADD COLUMN dependencies TEXT;   -- JSON list, as the source gives them
    ALTER TABLE records ADD COLUMN description TEXT;    -- the package's own description

    ALTER TABLE reports ADD COLUMN kind TEXT NOT NULL DEFAULT 'url';  -- 'url' or 'file'
    ALTER TABLE reports ADD COLUMN text TEXT;           -- write-ups ingested as files
    ALTER TABLE reports ADD COLUMN document_sha256 TEXT;

    -- A report naming a package in its text; the span is the evidence.
    CREATE TABLE report_mentions (
        report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        package_id INTEGER NOT NULL REFERENCES packages(id),
        start INTEGER NOT NULL,
        matched TEXT NOT NULL,
        context TEXT NOT NULL,
        how TEXT NOT NULL,
        PRIMARY KEY (report_id, package_id, start)
    ) WITHOUT ROWID;
    CREATE INDEX report_mentions_by_package ON report_mentions (package_id);

    CREATE TABLE campaigns (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id),
        key TEXT NOT NULL,
        name TEXT NOT NULL,
        category TEXT,
        created TEXT,
        description TEXT,
        refs TEXT,                    -- JSON list of URLs
        UNIQUE (source_id, key)
    );
    CREATE TABLE campaign_members (
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
        PRIMARY KEY (campaign_id, record_id)
    ) WITHOUT ROWID;
    CREATE INDEX campaign_members_by_record ON campaign_members (record_id);

    -- Code a source holds for a package-version (a sample archive), read nowhere here.
    CREATE TABLE artifacts (
        id INTEGER PRIMARY KEY,
        package_version_id INTEGER NOT NULL REFERENCES package_versions(id),
        source_id INTEGER NOT NULL REFERENCES sources(id),
        sha256 TEXT NOT NULL,
        location TEXT NOT NULL,       -- where it lies (a path, a URL)
        kind TEXT NOT NULL,           -- e.g. datadog-sample
        detected TEXT,                -- when the source detected that package-version
        document_sha256 TEXT NOT NULL,
        UNIQUE (package_version_id, source_id, sha256)
    );

    CREATE TABLE iocs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,           -- url, webhook, domain, ip, md5, sha1, sha256, wallet
        value TEXT NOT NULL,          -- normalised (refanged)
        UNIQUE (kind, value)
    );
    -- Where an IoC was seen: in a record, in a report's text, or in a campaign's description.
    CREATE TABLE ioc_sightings (
        ioc_id INTEGER NOT NULL REFERENCES iocs(id),
        record_id INTEGER REFERENCES records(id) ON DELETE CASCADE,
        report_id INTEGER REFERENCES reports(id) ON DELETE CASCADE,
        campaign_id INTEGER REFERENCES campaigns(id),
        as_written TEXT NOT NULL,
        CHECK ((record_id IS NOT NULL) + (report_id IS NOT NULL) + (campaign_id IS NOT NULL) = 1)
    );
    CREATE UNIQUE INDEX ioc_sightings_once ON ioc_sightings (ioc_id, coalesce(record_id, 0),
        coalesce(report_id, 0), coalesce(campaign_id, 0), as_written);
    CREATE INDEX ioc_sightings_by_record ON ioc_sightings (record_id) WHERE record_id IS NOT NULL;
    CREATE INDEX ioc_sightings_by_report ON ioc_sightings (report_id) WHERE report_id IS NOT NULL;
    """,
    # 3: package code: artifacts fetched as well as registered, static features per archive
    # (by content), IoCs seen in code, and what registries said about each package-version.
    """
    -- Rebuilt so that fetched code needs no input document; rows and ids are kept.
    CREATE TABLE artifacts_v3 (
        id INTEGER PRIMARY KEY,
        package_version_id INTEGER NOT NULL REFERENCES package_versions(id),
        source_id INTEGER NOT NULL REFERENCES sources(id),  -- the holder: a source, a registry
        sha256 TEXT NOT NULL,
        location TEXT NOT NULL,       -- where it lies or came from (a path, a URL)
        kind TEXT NOT NULL,           -- datadog-sample, registry, local-archive
        detected TEXT,                -- when the source detected that package-version
        document_sha256 TEXT,         -- the input that registered it; NULL when fetched
        fetched_at TEXT,              -- when malgraph downloaded or copied it
        UNIQUE (package_version_id, source_id, sha256)
    );
    INSERT INTO artifacts_v3 SELECT id, package_version_id, source_id, sha256, location, kind,
        detected, document_sha256, NULL FROM artifacts;
    DROP TABLE artifacts;
    ALTER TABLE artifacts_v3 RENAME TO artifacts;
    CREATE INDEX artifacts_by_sha256 ON artifacts (sha256);
    CREATE INDEX artifacts_by_document ON artifacts (document_sha256);

    -- One row per archive content analysed; the same bytes are analysed once.
    CREATE TABLE code_analyses (
        sha256 TEXT PRIMARY KEY,
        analyzer INTEGER NOT NULL,    -- core.code.ANALYZER_VERSION
        status TEXT NOT NULL,         -- ok, capped (a cap stopped reading), broken, unreadable
        format TEXT,
        reason TEXT,                  -- why capped or unreadable
        skipped TEXT NOT NULL,        -- JSON [[path, reason]]: members refused
        problems TEXT NOT NULL,       -- JSON list: files not fully parsed
        manifests TEXT NOT NULL,      -- JSON, as core.code
        install_hooks TEXT NOT NULL,
        findings TEXT NOT NULL,
        obfuscation TEXT NOT NULL,
        tokens BLOB,                  -- zlib of the normalised token stream
        analyzed_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE code_files (
        sha256 TEXT NOT NULL REFERENCES code_analyses(sha256) ON DELETE CASCADE,
        path TEXT NOT NULL,
        file_sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        language TEXT,
        normalised_sha256 TEXT,
        tokens INTEGER NOT NULL,
        PRIMARY KEY (sha256, path)
    ) WITHOUT ROWID;
    CREATE INDEX code_files_by_file ON code_files (file_sha256);
    CREATE INDEX code_files_by_normalised ON code_files (normalised_sha256)
        WHERE normalised_sha256 IS NOT NULL;
    CREATE TABLE code_dependencies (
        sha256 TEXT NOT NULL REFERENCES code_analyses(sha256) ON DELETE CASCADE,
        ecosystem TEXT NOT NULL, name TEXT NOT NULL, spec TEXT NOT NULL, kind TEXT NOT NULL,
        file TEXT NOT NULL, line INTEGER
    );
    CREATE INDEX code_dependencies_by_sha256 ON code_dependencies (sha256);
    CREATE TABLE code_imports (
        sha256 TEXT NOT NULL REFERENCES code_analyses(sha256) ON DELETE CASCADE,
        module TEXT NOT NULL, kind TEXT NOT NULL, relative INTEGER NOT NULL,
        file TEXT NOT NULL, line INTEGER NOT NULL
    );
    CREATE INDEX code_imports_by_sha256 ON code_imports (sha256);
    CREATE TABLE code_iocs (
        ioc_id INTEGER NOT NULL REFERENCES iocs(id),
        sha256 TEXT NOT NULL REFERENCES code_analyses(sha256) ON DELETE CASCADE,
        file TEXT NOT NULL, line INTEGER NOT NULL, as_written TEXT NOT NULL,
        PRIMARY KEY (ioc_id, sha256, file, line)
    ) WITHOUT ROWID;
    CREATE INDEX code_iocs_by_sha256 ON code_iocs (sha256);

    -- What a registry or mirror said of a package-version when asked: present (with its
    -- release time), removed (placeholder, 404) or an error; kept as history.
    CREATE TABLE registry_observations (
        package_version_id INTEGER NOT NULL REFERENCES package_versions(id),
        registry TEXT NOT NULL,
        status TEXT NOT NULL,
        detail TEXT NOT NULL,
        released TEXT,
        observed_at TEXT NOT NULL,
        PRIMARY KEY (package_version_id, registry, observed_at)
    ) WITHOUT ROWID;
    """,
    # 4: code families (the similar relation's clusters), with ids that outlive re-runs.
    """
    CREATE TABLE families (
        id TEXT PRIMARY KEY,          -- 'F-' + 10 hex; kept by the cluster holding most members
        size INTEGER NOT NULL,
        ecosystems TEXT NOT NULL,     -- JSON list
        first_release TEXT,           -- earliest and latest release among members (NULL: none
        last_release TEXT,            -- has a release date)
        undated INTEGER NOT NULL,     -- members without a release date
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE family_members (
        package_version_id INTEGER PRIMARY KEY REFERENCES package_versions(id),
        family_id TEXT NOT NULL REFERENCES families(id) ON DELETE CASCADE
    );
    CREATE INDEX family_members_by_family ON family_members (family_id);
    """,
    # 5: the line behind each import and declared dependency, as evidence.
    """
    ALTER TABLE code_imports ADD COLUMN snippet TEXT;
    ALTER TABLE code_dependencies ADD COLUMN snippet TEXT;
    """,
    # 6: nothing looks records up by (source, source id), and every ingested claim paid for
    # the index.
    """
    DROP INDEX records_by_source_record;
    """,
    # 7: reports linked to the packages they named (a workbook's list, not a claim), and the
    # categories of the sites reports are published on; both replaced with their document.
    """
    CREATE TABLE report_links (
        report_id INTEGER NOT NULL REFERENCES reports(id),
        ecosystem TEXT NOT NULL,
        name TEXT NOT NULL,           -- canonical: the package once a claim names it
        version TEXT,                 -- canonical; NULL when the row names none
        name_given TEXT NOT NULL,
        evidence TEXT NOT NULL,       -- JSON: the row's own words (status, dates, where)
        document_sha256 TEXT NOT NULL
    );
    CREATE INDEX report_links_by_package ON report_links (ecosystem, name);
    CREATE INDEX report_links_by_report ON report_links (report_id);
    CREATE INDEX report_links_by_document ON report_links (document_sha256);
    -- The links that reach a package node, as report_mentions gives its (report, package).
    CREATE VIEW report_link_packages AS
        SELECT l.report_id, p.id AS package_id, l.version, l.evidence FROM report_links l
        JOIN packages p ON p.ecosystem = l.ecosystem AND p.name = l.name;

    CREATE TABLE report_sites (
        site TEXT NOT NULL,           -- as reports.site
        category TEXT NOT NULL,
        reports INTEGER,              -- how many reports the document counts on the site
        document_sha256 TEXT NOT NULL,
        PRIMARY KEY (site, document_sha256)
    ) WITHOUT ROWID;
    """,
    # 8: another study's labelling (the MalGraph paper's clusters, components, report groups
    # and dependency pairs), kept apart from malgraph's records, packages and edges so that the
    # two can be compared; a document's groups go with it when it is replaced.
    """
    CREATE TABLE label_groups (
        id INTEGER PRIMARY KEY,
        labeller TEXT NOT NULL,       -- whose labelling (malgraph-paper)
        kind TEXT NOT NULL,           -- similar, similar-run, duplicated, dependency, ...
        key TEXT NOT NULL,            -- a cluster id, a component, a report's url_key, a pair
        document_sha256 TEXT NOT NULL
    );
    CREATE INDEX label_groups_by_document ON label_groups (document_sha256);
    CREATE TABLE label_members (
        group_id INTEGER NOT NULL REFERENCES label_groups(id) ON DELETE CASCADE,
        ecosystem TEXT NOT NULL,
        name TEXT NOT NULL,           -- canonical (see identity.canonical_name)
        version TEXT,                 -- canonical; NULL when the study names only the package
        given TEXT NOT NULL,          -- as the study wrote it
        role TEXT NOT NULL            -- member; in a dependency pair 'from' (dependent) or 'to'
    );
    CREATE INDEX label_members_by_group ON label_members (group_id);
    """,
    # 9: source aliases. A reporter is one source whatever label each input gives it: the label
    # stays on each claim (label_id) while source_id points at the canonical source, and
    # source_labels says which source each label counts as (re-pointed when aliases change).
    # A user's own aliases are kept with the store, so every later run applies them too.
    """
    CREATE TABLE source_labels (
        id INTEGER PRIMARY KEY,
        label TEXT NOT NULL UNIQUE,   -- as an input gave it
        source_id INTEGER NOT NULL REFERENCES sources(id)
    );
    INSERT INTO source_labels(id, label, source_id) SELECT id, name, id FROM sources
        WHERE kind != 'code';
    ALTER TABLE records ADD COLUMN label_id INTEGER REFERENCES source_labels(id);
    UPDATE records SET label_id = source_id;
    ALTER TABLE artifacts ADD COLUMN label_id INTEGER REFERENCES source_labels(id);
    UPDATE artifacts SET label_id = source_id WHERE source_id IN (SELECT id FROM source_labels);
    ALTER TABLE campaigns ADD COLUMN label_id INTEGER REFERENCES source_labels(id);
    UPDATE campaigns SET label_id = source_id;
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    """,
    # 10: the paper's rules match records by the exact package-version text a sheet gave
    # ("name_version"), which the name and versions alone cannot give back.
    """
    ALTER TABLE records ADD COLUMN given TEXT;
    """,
    # 11: each analysed archive's MinHash sketch of its own code, as the similar relation makes
    # it, so that `check` compares an archive with the stored code without sketching it all
    # again. Written with the analysis; `relate` fills in those of analyses made before.
    """
    CREATE TABLE code_sketches (
        sha256 TEXT PRIMARY KEY REFERENCES code_analyses(sha256) ON DELETE CASCADE,
        method TEXT NOT NULL,         -- relations.similar.SKETCH_METHOD: what made the sketch
        stream_sha256 TEXT NOT NULL,  -- digest of the own token stream (vendored files cut)
        sketch BLOB                   -- uint16 positions, little-endian; NULL: too short
    );
    """,
    # 12: each code file's scan by content (core.file_scans.FileScan: its imports, findings,
    # IoCs, obfuscation signs, problems and normalised tokens, with no path), so that a file met
    # in an earlier archive (a vendored library, an __init__.py) is looked up, not scanned
    # again. Written with the analyses that made them. One row a content and dialect: a row of
    # another analyser version is ignored when read and replaced when the scan is made again.
    """
    CREATE TABLE file_scans (
        sha256 TEXT NOT NULL,         -- of the file's bytes
        dialect TEXT NOT NULL,        -- core.kinds.ScanDialect: how the bytes were scanned
        analyzer TEXT NOT NULL,       -- analysis.file_scan.SCAN_VERSION that made the scan
        scan BLOB NOT NULL,           -- zlib of compact JSON arrays (store/file_scans.py)
        PRIMARY KEY (sha256, dialect)
    );
    """,
]
