//! The deployment files in `deploy/` against the binary they deploy: the Dockerfile copies what
//! exists and runs real subcommands; the compose file and the Kubernetes manifests mount a
//! configuration whose port is the one they publish and probe, set only real configuration keys,
//! and pass `check-config`; the probes and the Slack app's URLs are served by `ambassador-bot run`;
//! the systemd unit starts a command the binary accepts.

mod support;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use support::{Sandbox, free_port};

const ENV_PREFIX: &str = "AMBASSADOR_BOT__";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every document of a YAML file, as JSON values.
fn yaml_docs(rel: &str) -> Vec<Value> {
    use serde::Deserialize;
    let text = read(rel);
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{rel}: {e}")))
        .filter(|v| !v.is_null())
        .collect()
}

fn toml(text: &str, what: &str) -> Value {
    config::Config::builder()
        .add_source(config::File::from_str(text, config::FileFormat::Toml))
        .build()
        .unwrap_or_else(|e| panic!("{what}: {e}"))
        .try_deserialize()
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// The configuration keys (`section.key`) that exist: those `bot-config.example.toml` documents
/// (the binary's own unit test holds the example to every key the configuration has).
fn known_keys() -> BTreeSet<String> {
    let example = toml(&read("bot-config.example.toml"), "bot-config.example.toml");
    let mut keys = BTreeSet::new();
    for (section, fields) in example.as_object().unwrap() {
        for key in fields.as_object().unwrap().keys() {
            keys.insert(format!("{section}.{key}"));
        }
    }
    assert!(keys.contains("http.listen") && keys.len() > 30, "{keys:?}");
    keys
}

/// `AMBASSADOR_BOT__SLACK__BOT_TOKEN` → `slack.bot_token`; `None` for other variables.
fn env_key(name: &str) -> Option<String> {
    let rest = name.strip_prefix(ENV_PREFIX)?;
    let (section, key) = rest.split_once("__").unwrap_or((rest, ""));
    Some(format!("{}.{}", section.to_lowercase(), key.to_lowercase()))
}

fn assert_real_env_keys<'a>(names: impl IntoIterator<Item = &'a str>, what: &str) {
    let known = known_keys();
    let mut seen = 0;
    for name in names {
        if name.starts_with("AMBASSADOR_BOT") {
            let key = env_key(name).unwrap_or_default();
            assert!(
                known.contains(&key),
                "{what} sets {name}, but `{key}` is no configuration key (see bot-config.example.toml)"
            );
            seen += 1;
        }
    }
    assert!(seen > 0, "{what} sets no AMBASSADOR_BOT__ variable");
}

/// Every `section.key` set in a TOML configuration must be a real key.
fn assert_real_file_keys(config: &Value, what: &str) {
    let known = known_keys();
    for (section, fields) in config.as_object().unwrap() {
        let fields = fields
            .as_object()
            .unwrap_or_else(|| panic!("{what}: `{section}` is not a [section]"));
        for key in fields.keys() {
            let key = format!("{section}.{key}");
            assert!(known.contains(&key), "{what} sets `{key}`: no such key");
        }
    }
}

/// The port of `http.listen` in a configuration (8080 when it is not set: the image's default
/// configuration is what sets it then, and is checked on its own).
fn listen_port(config: &Value) -> u16 {
    let listen = config["http"]["listen"]
        .as_str()
        .expect("the configuration sets http.listen");
    let (host, port) = listen.rsplit_once(':').unwrap();
    assert_eq!(
        host, "0.0.0.0",
        "in a container, http.listen must be on all interfaces or nothing outside reaches it"
    );
    port.parse().unwrap()
}

/// `ambassador-bot check-config` with `config` as the file and `env`: must say OK.
fn assert_check_config(config: &str, env: &BTreeMap<String, String>, what: &str) {
    let mut sb = Sandbox::new();
    sb.file("bot-config.toml", config);
    for (k, v) in env {
        sb = sb.with_env(k, v);
    }
    let out = sb.run(&["--config", "bot-config.toml", "check-config"], "");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("Configuration OK"),
        "check-config refuses {what}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the binary with the arguments a deployment gives it, its `--config FILE` replaced with
/// `config` and no platform enabled: the arguments parse (a usage error would exit 2) and `run`
/// reaches the point where it says no platform is enabled.
fn assert_args_run(args: &[String], config: &str, what: &str) {
    let sb = Sandbox::new();
    sb.file("bot-config.toml", config);
    let mut args = args.to_vec();
    if let Some(i) = args.iter().position(|a| a == "--config" || a == "-c") {
        args[i + 1] = "bot-config.toml".into();
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = sb.run(&args, "");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what}: `ambassador-bot {}` does not start run:\n{stderr}",
        args.join(" ")
    );
    assert!(
        stderr.contains("no chat platform is enabled"),
        "{what}: `ambassador-bot {}`:\n{stderr}",
        args.join(" ")
    );
}

/// The Dockerfile's instructions, continuation lines joined, comments dropped.
fn dockerfile() -> Vec<(String, String)> {
    let text = read("deploy/Dockerfile");
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let t = line.trim();
        if current.is_empty() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        match t.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(t);
                let (op, rest) = current.split_once(' ').unwrap_or((&current, ""));
                out.push((op.to_uppercase(), rest.trim().to_string()));
                current.clear();
            }
        }
    }
    out
}

fn instruction(df: &[(String, String)], op: &str) -> Vec<String> {
    df.iter()
        .filter(|(o, _)| o == op)
        .map(|(_, r)| r.clone())
        .collect()
}

fn json_args(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not a JSON array ({e}): {text}"))
}

/// What the image needs from its Dockerfile: the entrypoint's arguments, the built-in
/// configuration file's path in the image and its content, the exposed port, the health check.
struct Image {
    entrypoint: Vec<String>,
    cmd: Vec<String>,
    config_path: String,
    config: String,
    port: u16,
    healthcheck: Vec<String>,
}

fn image() -> Image {
    let df = dockerfile();
    let entrypoint = json_args(&instruction(&df, "ENTRYPOINT")[0]);
    let cmd = json_args(&instruction(&df, "CMD")[0]);
    let config_path = entrypoint
        .iter()
        .position(|a| a == "--config")
        .map(|i| entrypoint[i + 1].clone())
        .expect("the entrypoint names the configuration file");
    let copied = instruction(&df, "COPY")
        .into_iter()
        .find(|c| c.ends_with(&format!(" {config_path}")))
        .unwrap_or_else(|| panic!("no COPY puts a file at {config_path}"));
    let source = copied.split_whitespace().next().unwrap();
    let expose = instruction(&df, "EXPOSE");
    assert_eq!(expose.len(), 1, "one port: {expose:?}");
    let healthcheck = instruction(&df, "HEALTHCHECK");
    let healthcheck = json_args(
        healthcheck[0]
            .split_once("CMD ")
            .expect("HEALTHCHECK ... CMD [...]")
            .1,
    );
    Image {
        entrypoint,
        cmd,
        config_path,
        config: read(source),
        port: expose[0].parse().unwrap(),
        healthcheck,
    }
}

#[test]
fn the_dockerfile_copies_what_exists_and_runs_real_subcommands() {
    let df = dockerfile();
    let ignored: Vec<String> = read(".dockerignore")
        .lines()
        .map(|l| l.trim().trim_start_matches('/').to_string())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(
        ignored.iter().any(|l| l == "target"),
        "the build context must leave out target/"
    );

    // The builder is the toolchain the workspace asks for; the runtime is the same Debian.
    let workspace = read("Cargo.toml");
    let rust_version = workspace
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"');
    let from = instruction(&df, "FROM");
    assert_eq!(from.len(), 2, "a builder and a runtime stage: {from:?}");
    assert!(
        from[0].starts_with(&format!("rust:{rust_version}-")),
        "the builder should be rust:{rust_version}: {}",
        from[0]
    );
    let release = |image: &str| {
        image
            .split_whitespace()
            .next()
            .unwrap()
            .rsplit(['-', ':'])
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        release(&from[0]),
        release(&from[1].replace("-slim", "")),
        "the runtime's Debian must be the builder's (glibc)"
    );

    // Every COPY from the build context names files that exist and are not ignored.
    let copies = instruction(&df, "COPY");
    assert!(copies.len() >= 4, "{copies:?}");
    for copy in &copies {
        let words: Vec<&str> = copy.split_whitespace().collect();
        if words.iter().any(|w| w.starts_with("--from")) {
            continue;
        }
        let sources: Vec<&str> = words[..words.len() - 1]
            .iter()
            .copied()
            .filter(|w| !w.starts_with("--"))
            .collect();
        assert!(!sources.is_empty(), "COPY {copy}");
        for source in sources {
            assert!(
                repo().join(source).exists(),
                "COPY {copy}: {source} does not exist in the repository"
            );
            let top = source.split('/').next().unwrap();
            assert!(
                !ignored.iter().any(|i| i == top || i == source),
                "COPY {copy}: .dockerignore leaves {source} out of the build context"
            );
        }
    }
    // Everything the build needs is copied: the workspace and its migrations (embedded by sqlx).
    for needed in ["Cargo.toml", "Cargo.lock", "crates", "migrations"] {
        assert!(
            copies
                .iter()
                .any(|c| c.split_whitespace().any(|w| w == needed)),
            "the builder does not COPY {needed}"
        );
    }

    // The binary built is the one the image runs.
    let run = instruction(&df, "RUN").join("\n");
    let bin = Path::new(support::bin())
        .file_name()
        .unwrap()
        .to_str()
        .unwrap();
    assert!(run.contains("cargo build --release --locked -p ambassador-bot"));
    assert!(run.contains(&format!("target/release/{bin} /usr/local/bin/{bin}")));
    let img = image();
    assert_eq!(img.entrypoint[0], bin);
    assert!(
        instruction(&df, "USER")[0]
            .split(':')
            .all(|id| id != "0" && id != "root"),
        "the image runs as root"
    );

    // The built-in configuration listens on the exposed port; the health check asks it.
    let config = toml(&img.config, "the image's configuration");
    assert_real_file_keys(&config, "the image's configuration");
    assert_eq!(listen_port(&config), img.port, "EXPOSE vs http.listen");
    let check = img.healthcheck.join(" ");
    assert!(
        check.contains(&format!("/dev/tcp/127.0.0.1/{} ", img.port)) && check.contains("/healthz"),
        "the HEALTHCHECK asks 127.0.0.1:{}/healthz: {check}",
        img.port
    );

    // ENTRYPOINT + CMD is a command line the binary accepts.
    let mut args = img.entrypoint[1..].to_vec();
    args.extend(img.cmd.iter().cloned());
    assert_args_run(&args, &img.config, "the image's ENTRYPOINT and CMD");
}

/// `deploy/check.sh` builds and runs these files with the tools a plain Docker host has: the legacy
/// builder (no BuildKit) and docker-compose v1. So the Dockerfile uses nothing only BuildKit has,
/// and the compose file nothing only Compose v2 has; the base images it names are the ones the
/// script makes when they cannot be pulled.
#[test]
fn the_deploy_files_build_and_run_without_buildkit_or_compose_v2() {
    let text = read("deploy/Dockerfile");
    assert!(
        !text.lines().any(|l| l.trim_start().starts_with("# syntax")),
        "a `# syntax=` line needs BuildKit and pulls a frontend image"
    );
    for (op, rest) in dockerfile() {
        assert!(
            !rest.contains("--mount=") && !rest.contains("--link") && !rest.contains("<<"),
            "{op} {rest}: BuildKit only; the legacy builder refuses it"
        );
    }
    let compose = &yaml_docs("deploy/docker-compose.yml")[0];
    for key in compose.as_object().unwrap().keys() {
        assert!(
            ["services", "volumes", "networks"].contains(&key.as_str()) || key.starts_with("x-"),
            "top-level `{key}:` in the compose file: docker-compose v1 rejects it"
        );
    }
    // The project name comes from deploy/.env, which both Compose versions read.
    assert!(
        read("deploy/.env")
            .lines()
            .any(|l| l == "COMPOSE_PROJECT_NAME=ambassador-bot")
    );

    // check.sh makes every base image the Dockerfile and the compose file name.
    let script = read("deploy/check.sh");
    let mut images: Vec<String> = instruction(&dockerfile(), "FROM")
        .iter()
        .map(|f| f.split_whitespace().next().unwrap().to_string())
        .collect();
    for service in compose["services"].as_object().unwrap().values() {
        if service.get("build").is_none() {
            images.push(service["image"].as_str().unwrap().to_string());
        }
    }
    for image in images {
        assert!(
            script
                .lines()
                .any(|l| l.ends_with(&format!("_IMAGE={image}"))),
            "deploy/check.sh does not make {image}"
        );
    }
}

/// `${VAR:-default}` (and `${VAR}`) in a compose value, with `given` values first.
fn interpolate(value: &str, given: &BTreeMap<&str, &str>) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closing }") + start;
        let inner = &rest[start + 2..end];
        let (name, default) = inner.split_once(":-").unwrap_or((inner, ""));
        out.push_str(given.get(name).copied().unwrap_or(default));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Where a URL points: (host, port).
fn host_port(url: &str) -> (String, u16) {
    let after = url.split_once("://").unwrap().1;
    let authority = after.split('/').next().unwrap();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = authority.rsplit_once(':').unwrap();
    (host.to_string(), port.parse().unwrap())
}

#[test]
fn the_compose_file_wires_the_bot_to_postgres_and_synapse() {
    let compose = &yaml_docs("deploy/docker-compose.yml")[0];
    let services = compose["services"].as_object().unwrap();
    for name in ["bot", "postgres", "synapse"] {
        assert!(services.contains_key(name), "no {name} service");
    }
    for (name, service) in services {
        if let Some(deps) = service["depends_on"].as_object() {
            for dep in deps.keys() {
                assert!(
                    services.contains_key(dep),
                    "{name} depends on {dep}: no such service"
                );
            }
        }
    }
    let bot = &services["bot"];

    // Built from the repository with deploy/Dockerfile.
    let context = repo()
        .join("deploy")
        .join(bot["build"]["context"].as_str().unwrap());
    assert!(context.join("Cargo.toml").is_file() && context.join("crates/bot").is_dir());
    assert!(
        context
            .join(bot["build"]["dockerfile"].as_str().unwrap())
            .is_file()
    );

    // The mounted configuration is the file the image reads, and exists.
    let img = image();
    let mount = bot["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .find(|v| v.split(':').nth(1) == Some(img.config_path.as_str()))
        .unwrap_or_else(|| panic!("the bot service mounts nothing at {}", img.config_path));
    let source = format!("deploy/{}", mount.split(':').next().unwrap());
    let config_text = read(&source);
    let config = toml(&config_text, &source);
    assert_real_file_keys(&config, &source);

    // The published port is the one the bot listens on.
    let port = listen_port(&config);
    let published: Vec<u16> = bot["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p.as_str()
                .unwrap()
                .rsplit(':')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(
        published,
        vec![port],
        "published container port vs http.listen in {source}"
    );
    assert_eq!(port, img.port, "the image's EXPOSE and HEALTHCHECK port");

    // Its environment sets real keys only, and points at the other services.
    let env: BTreeMap<String, String> = bot["environment"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    assert_real_env_keys(env.keys().map(String::as_str), "the bot service");
    let given = BTreeMap::from([("BOT_MATRIX_PASSWORD", "test-password")]);
    let env: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.clone(), interpolate(v, &given)))
        .collect();
    let (db_host, db_port) = host_port(&env["AMBASSADOR_BOT__DATABASE__URL"]);
    assert!(
        services.contains_key(&db_host),
        "the database URL names {db_host}"
    );
    assert_eq!(db_port, 5432);
    let pg_env = &services["postgres"]["environment"];
    let db_url = &env["AMBASSADOR_BOT__DATABASE__URL"];
    assert!(
        db_url.ends_with(&format!("/{}", pg_env["POSTGRES_DB"].as_str().unwrap()))
            && db_url.contains(&format!("//{}:", pg_env["POSTGRES_USER"].as_str().unwrap())),
        "{db_url} vs the postgres service's user and database"
    );
    assert_eq!(
        interpolate(pg_env["POSTGRES_PASSWORD"].as_str().unwrap(), &given),
        db_url.split(':').nth(2).unwrap().split('@').next().unwrap(),
        "the database password"
    );
    let (hs_host, hs_port) = host_port(config["matrix"]["homeserver"].as_str().unwrap());
    assert_eq!(
        hs_host, "synapse",
        "matrix.homeserver is the synapse service"
    );
    let synapse_ports: Vec<&str> = services["synapse"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        synapse_ports
            .iter()
            .any(|p| p.ends_with(&format!(":{hs_port}"))),
        "synapse listens on {hs_port}: {synapse_ports:?}"
    );
    assert_check_config(&config_text, &env, "the compose configuration");
}

/// The Kubernetes objects of the kustomization, by kind and name.
fn k8s() -> BTreeMap<(String, String), Value> {
    let kustomization = &yaml_docs("deploy/k8s/kustomization.yaml")[0];
    let mut objects = BTreeMap::new();
    for file in kustomization["resources"].as_array().unwrap() {
        let file = format!("deploy/k8s/{}", file.as_str().unwrap());
        for doc in yaml_docs(&file) {
            let kind = doc["kind"].as_str().unwrap().to_string();
            let name = doc["metadata"]["name"].as_str().unwrap().to_string();
            assert!(
                doc["apiVersion"].is_string(),
                "{file}: {kind} without apiVersion"
            );
            objects.insert((kind, name), doc);
        }
    }
    objects
}

fn object<'a>(objects: &'a BTreeMap<(String, String), Value>, kind: &str, name: &str) -> &'a Value {
    objects
        .get(&(kind.to_string(), name.to_string()))
        .unwrap_or_else(|| panic!("no {kind} {name} in deploy/k8s"))
}

fn probe_paths(objects: &BTreeMap<(String, String), Value>) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    for ((kind, _), o) in objects {
        if kind == "Deployment" {
            for c in o["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
            {
                for probe in ["livenessProbe", "readinessProbe"] {
                    paths.insert(c[probe]["httpGet"]["path"].as_str().unwrap().to_string());
                }
            }
        }
    }
    paths
}

#[test]
fn the_kubernetes_manifests_probe_and_configure_what_the_binary_has() {
    let objects = k8s();
    let img = image();
    let config_map = object(&objects, "ConfigMap", "ambassador-bot-config");
    let slack = object(&objects, "Deployment", "ambassador-bot");
    let matrix = object(&objects, "Deployment", "ambassador-bot-matrix");
    assert_eq!(slack["spec"]["replicas"], 2);
    assert_eq!(
        matrix["spec"]["replicas"], 1,
        "Matrix runs in one replica only"
    );
    assert_eq!(matrix["spec"]["strategy"]["type"], "Recreate");

    let mut platforms = Vec::new();
    for deployment in [slack, matrix] {
        let name = deployment["metadata"]["name"].as_str().unwrap();
        let pod = &deployment["spec"]["template"];
        let selector = deployment["spec"]["selector"]["matchLabels"]
            .as_object()
            .unwrap();
        for (k, v) in selector {
            assert_eq!(
                &pod["metadata"]["labels"][k], v,
                "{name}: selector vs pod labels"
            );
        }
        let containers = pod["spec"]["containers"].as_array().unwrap();
        assert_eq!(containers.len(), 1);
        let c = &containers[0];

        // The args are a command line the binary accepts, after the image's entrypoint.
        let mut args = img.entrypoint[1..].to_vec();
        args.extend(
            c["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string()),
        );
        assert_args_run(&args, &img.config, name);

        // The configuration file: a ConfigMap key, mounted where the image reads it.
        let mount = c["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["mountPath"] == img.config_path.as_str())
            .unwrap_or_else(|| panic!("{name} mounts nothing at {}", img.config_path));
        let volume = pod["spec"]["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == mount["name"])
            .unwrap_or_else(|| panic!("{name}: no volume {}", mount["name"]));
        assert_eq!(volume["configMap"]["name"], "ambassador-bot-config");
        let key = mount["subPath"].as_str().unwrap();
        let config_text = config_map["data"][key]
            .as_str()
            .unwrap_or_else(|| panic!("{name} mounts ConfigMap key {key}, which it lacks"));
        let config = toml(config_text, key);
        assert_real_file_keys(&config, key);
        platforms.push((
            config["slack"]["enabled"] == true,
            config["matrix"]["enabled"] == true,
        ));

        // The container port is the one the configuration listens on, and the probes use it.
        let port = listen_port(&config);
        let ports = c["ports"].as_array().unwrap();
        assert_eq!(ports.len(), 1);
        assert_eq!(
            ports[0]["containerPort"], port,
            "{name}: containerPort vs http.listen"
        );
        assert_eq!(port, img.port, "{name}: the image's EXPOSE");
        for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
            let get = &c[probe]["httpGet"];
            assert_eq!(get["path"], path, "{name}: {probe}");
            assert!(
                get["port"] == ports[0]["name"] || get["port"] == port,
                "{name}: {probe} asks port {}",
                get["port"]
            );
        }

        // The secrets are environment variables for real keys; with them the file checks OK.
        let env_from = c["envFrom"].as_array().unwrap();
        let secret = object(
            &objects,
            "Secret",
            env_from[0]["secretRef"]["name"].as_str().unwrap(),
        );
        let env: BTreeMap<String, String> = secret["stringData"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        assert_real_env_keys(env.keys().map(String::as_str), "the Secret");
        assert!(
            env["AMBASSADOR_BOT__DATABASE__URL"].starts_with("postgres://"),
            "several replicas share PostgreSQL, never a SQLite file"
        );
        assert_check_config(config_text, &env, key);
    }
    // Matrix never in the two Slack replicas (both would answer every command). The Matrix one has
    // Slack over HTTP too, so the digest and the office's messages it queues for Slack are valid
    // there (check-config refuses a digest channel on a platform that is not enabled); the Service
    // does not route Slack's requests to it (below).
    assert_eq!(platforms, vec![(true, false), (true, true)]);

    // The Service reaches the Slack replicas' port.
    let service = object(&objects, "Service", "ambassador-bot");
    let pod_labels = &slack["spec"]["template"]["metadata"]["labels"];
    for (k, v) in service["spec"]["selector"].as_object().unwrap() {
        assert_eq!(&pod_labels[k], v, "the Service selects the Slack pods");
    }
    let target = &service["spec"]["ports"][0]["targetPort"];
    let container_port = &slack["spec"]["template"]["spec"]["containers"][0]["ports"][0];
    assert!(target == &container_port["name"] || target == &container_port["containerPort"]);
    // ... and not the Matrix pod, whose Slack side only sends.
    let matrix_labels = &matrix["spec"]["template"]["metadata"]["labels"];
    assert!(
        service["spec"]["selector"]
            .as_object()
            .unwrap()
            .iter()
            .any(|(k, v)| &matrix_labels[k] != v),
        "the Service must not select the Matrix pod"
    );
}

/// Kills the child when the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_status(port: u16, method: &str, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    s.read_to_string(&mut response).ok()?;
    response.split_whitespace().nth(1)?.parse().ok()
}

/// The paths of the URLs in the Slack app manifest.
fn slack_manifest_paths() -> BTreeSet<String> {
    let manifest = &yaml_docs("deploy/slack-app-manifest.yml")[0];
    let mut urls: Vec<&str> = manifest["features"]["slash_commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["url"].as_str().unwrap())
        .collect();
    urls.push(
        manifest["settings"]["event_subscriptions"]["request_url"]
            .as_str()
            .unwrap(),
    );
    urls.push(
        manifest["settings"]["interactivity"]["request_url"]
            .as_str()
            .unwrap(),
    );
    urls.iter()
        .map(|u| {
            format!(
                "/{}",
                u.split_once("://").unwrap().1.split_once('/').unwrap().1
            )
        })
        .collect()
}

#[test]
fn the_probes_the_health_check_and_the_slack_urls_are_served_by_run() {
    let objects = k8s();
    let img = image();
    let config_map = object(&objects, "ConfigMap", "ambassador-bot-config");
    let port = free_port();
    // The Slack replicas' configuration, on SQLite and a free loopback port.
    let sb = Sandbox::new()
        .with_env("AMBASSADOR_BOT__DATABASE__URL", "sqlite://bot.db")
        .with_env("AMBASSADOR_BOT__HTTP__LISTEN", &format!("127.0.0.1:{port}"))
        .with_env("AMBASSADOR_BOT__SLACK__BOT_TOKEN", "xoxb-deploy-test")
        .with_env(
            "AMBASSADOR_BOT__SLACK__SIGNING_SECRET",
            "deploy-test-secret",
        )
        .with_env("AMBASSADOR_BOT__SLACK__BOT_USER_ID", "UBOT")
        .with_env(
            "AMBASSADOR_BOT__SLACK__API_BASE_URL",
            "http://127.0.0.1:9/api",
        );
    sb.file(
        "bot-config.toml",
        config_map["data"]["bot-config.toml"].as_str().unwrap(),
    );
    let mut running = Running(sb.spawn(&["--config", "bot-config.toml", "run"]));
    let deadline = Instant::now() + Duration::from_secs(30);
    while http_status(port, "GET", "/readyz") != Some(200) {
        if let Some(status) = running.0.try_wait().unwrap() {
            panic!("run exited with {status}");
        }
        assert!(Instant::now() < deadline, "/readyz never answered 200");
        std::thread::sleep(Duration::from_millis(100));
    }

    let probes = probe_paths(&objects);
    assert_eq!(probes.len(), 2, "{probes:?}");
    for path in &probes {
        assert_eq!(http_status(port, "GET", path), Some(200), "GET {path}");
    }
    assert_ne!(http_status(port, "GET", "/no-such-path"), Some(200));

    // Slack's URLs exist: unsigned requests are refused (401), not missing (404).
    let slack = slack_manifest_paths();
    assert_eq!(
        slack,
        BTreeSet::from([
            "/slack/commands".to_string(),
            "/slack/events".to_string(),
            "/slack/interactivity".to_string()
        ])
    );
    for path in &slack {
        assert_eq!(http_status(port, "POST", path), Some(401), "POST {path}");
    }

    // The image's health check succeeds against a running bot, and fails without one.
    let check_on = |p: u16| {
        let args: Vec<String> = img
            .healthcheck
            .iter()
            .map(|a| {
                a.replace(
                    &format!("/dev/tcp/127.0.0.1/{} ", img.port),
                    &format!("/dev/tcp/127.0.0.1/{p} "),
                )
            })
            .collect();
        Command::new(&args[0])
            .args(&args[1..])
            .output()
            .expect("bash runs")
            .status
            .success()
    };
    assert!(
        check_on(port),
        "the HEALTHCHECK fails against a running bot"
    );
    drop(running);
    assert!(!check_on(port), "the HEALTHCHECK passes with the bot gone");
}

/// `Key=value` lines of a systemd unit, by key (a key may repeat).
fn unit(rel: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in read(rel).lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with('[') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            out.entry(k.trim().to_string())
                .or_default()
                .push(v.trim().to_string());
        }
    }
    out
}

#[test]
fn the_systemd_unit_starts_a_command_the_binary_accepts() {
    let rel = "deploy/systemd/ambassador-bot.service";
    let u = unit(rel);
    let one = |k: &str| -> &str {
        let v = u.get(k).unwrap_or_else(|| panic!("{rel} has no {k}="));
        assert_eq!(v.len(), 1, "{k}= more than once");
        &v[0]
    };
    let exec: Vec<String> = one("ExecStart")
        .split_whitespace()
        .map(String::from)
        .collect();
    let bin = Path::new(support::bin())
        .file_name()
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        exec[0].starts_with('/') && exec[0].ends_with(&format!("/{bin}")),
        "{exec:?}"
    );
    // The README tells to install the example configuration as the file ExecStart names.
    assert_args_run(&exec[1..], &read("bot-config.example.toml"), "ExecStart");
    assert_eq!(one("Restart"), "on-failure");
    assert!(one("DynamicUser") == "yes" || u.contains_key("User"));
    assert_eq!(
        one("WorkingDirectory"),
        format!("/var/lib/{}", one("StateDirectory")),
        "the default SQLite file and matrix-store go in the state directory"
    );
    // The stop timeout leaves the bot its 10 s to finish.
    let stop: u64 = one("TimeoutStopSec").trim_end_matches('s').parse().unwrap();
    assert!(stop > 10);

    // systemd's own check, where systemd is installed.
    let Ok(analyze) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("note: systemd-analyze is not installed; `systemd-analyze verify` skipped");
        return;
    };
    assert!(analyze.status.success());
    let root = tempfile::tempdir().unwrap();
    let units = Path::new("/usr/lib/systemd/system");
    if !units.is_dir() {
        eprintln!(
            "note: no {} here; `systemd-analyze verify` skipped",
            units.display()
        );
        return;
    }
    let copy = |from: &Path, to: &Path| {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    };
    for entry in std::fs::read_dir(units).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            copy(
                &entry.path(),
                &root
                    .path()
                    .join("usr/lib/systemd/system")
                    .join(entry.file_name()),
            );
        }
    }
    copy(
        Path::new(support::bin()),
        &root.path().join(exec[0].trim_start_matches('/')),
    );
    copy(
        &repo().join(rel),
        &root
            .path()
            .join("etc/systemd/system/ambassador-bot.service"),
    );
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(format!("--root={}", root.path().display()))
        .arg("ambassador-bot.service")
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "systemd-analyze verify:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_deploy_files_the_readmes_name_exist() {
    for readme in ["README.md", "deploy/README.md"] {
        let text = read(readme);
        let mut named = 0;
        for (i, _) in text.match_indices("deploy/") {
            let before = text[..i].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '/' || c == '.') {
                continue;
            }
            let path: String = text[i..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || "/._-".contains(*c))
                .collect();
            let path = path.trim_end_matches('.');
            assert!(
                repo().join(path).exists(),
                "{readme} names {path}, which does not exist"
            );
            named += 1;
        }
        assert!(named > 0, "{readme} names no deploy file");
    }
}

/// The documents a newcomer reads link only to files of the repository, and every such file exists
/// (the design once lived outside it).
#[test]
fn the_docs_link_only_inside_the_repository() {
    let docs = [
        "README.md",
        "CONTRIBUTING.md",
        "docs/design.md",
        "docs/development.md",
        "deploy/README.md",
    ];
    let mut checked = 0;
    for doc in docs {
        let text = read(doc);
        let dir = repo().join(doc).parent().unwrap().to_path_buf();
        for (i, _) in text.match_indices("](") {
            let target: String = text[i + 2..].chars().take_while(|c| *c != ')').collect();
            if target.starts_with('#') {
                continue;
            }
            let path = target.split('#').next().unwrap_or("");
            let full = dir.join(path);
            let resolved = full
                .canonicalize()
                .unwrap_or_else(|e| panic!("{doc} links to {target}, which does not exist: {e}"));
            assert!(
                resolved.starts_with(repo().canonicalize().unwrap()),
                "{doc} links to {target}, outside the repository"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 6,
        "the docs link to each other ({checked} links found)"
    );
}
