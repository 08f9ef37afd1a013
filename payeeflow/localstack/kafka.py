"""Apache Kafka 4.x from Maven Central, run as one KRaft broker+controller on 127.0.0.1."""

from __future__ import annotations

import base64
import logging
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from payeeflow.errors import StackError
from payeeflow.localstack.process import apt_install, port_open, require, run, stop_pid, wait_for_port

log = logging.getLogger(__name__)

POM = Path(__file__).parent / "kafka-pom.xml"
HOST, PORT, CONTROLLER_PORT = "127.0.0.1", 9092, 9093

SERVER_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers={host}:{cport}
listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{cport}{secure_listener}
advertised.listeners=PLAINTEXT://{host}:{port}{secure_listener}
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT{secure_protocol}
log.dirs={data}
num.partitions=6
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=168
"""
LOG4J = """\
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
"""


@dataclass(frozen=True)
class SaslSslListener:
    """A listener that takes only TLS with a SCRAM login, beside the plaintext one (the broker's
    own), so tests can run the clients' security settings against a broker that requires them.

    ``keystore`` is a PEM file holding the broker's unencrypted PKCS#8 key and certificate chain;
    the one user is stored in the metadata log when the storage is formatted.
    """

    port: int
    keystore: Path
    username: str
    password: str
    mechanism: str = "SCRAM-SHA-512"

    def properties(self) -> str:
        return (
            f"sasl.enabled.mechanisms={self.mechanism}\n"
            f"listener.name.sasl_ssl.{self.mechanism.lower()}.sasl.jaas.config="
            "org.apache.kafka.common.security.scram.ScramLoginModule required;\n"
            "ssl.keystore.type=PEM\n"
            f"ssl.keystore.location={self.keystore}\n"
        )

    def scram_user(self) -> list[str]:
        """``kafka-storage format``'s arguments that create the user."""
        return ["--add-scram", f"{self.mechanism}=[name={self.username},password={self.password}]"]


def cluster_id() -> str:
    """A new cluster id as ``kafka-storage random-uuid`` prints it (base64url of 16 random bytes),
    without starting a JVM for it; Kafka refuses ids that begin with a dash."""
    while True:
        value = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not value.startswith("-"):
            return value


class LocalKafka:
    """One broker+controller; ``port``/``controller_port``/``home`` let tests run a second one,
    ``secure`` a SASL_SSL listener beside the plaintext one.

    The jars always live in ``<stack_dir>/kafka/lib``, so a second broker downloads nothing.
    """

    def __init__(
        self,
        stack_dir: Path,
        port: int = PORT,
        controller_port: int = CONTROLLER_PORT,
        home: Path | None = None,
        secure: SaslSslListener | None = None,
    ) -> None:
        self.port = port
        self.secure = secure
        self.controller_port = controller_port
        self.lib = stack_dir.resolve() / "kafka" / "lib"
        self.home = home or stack_dir.resolve() / "kafka"
        self.data = self.home / "data"
        self.config = self.home / "server.properties"
        self.pid_file = self.home / "kafka.pid"
        self.log_file = self.home / "server.log"

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    def properties(self) -> str:
        """server.properties: the plaintext and controller listeners, and the secure one if asked."""
        secure = self.secure
        listener = f",SASL_SSL://{HOST}:{secure.port}" if secure else ""
        text = SERVER_PROPERTIES.format(
            host=HOST,
            port=self.port,
            cport=self.controller_port,
            data=self.data,
            secure_listener=listener,
            secure_protocol=",SASL_SSL:SASL_SSL" if secure else "",
        )
        return text + (secure.properties() if secure else "")

    def installed(self) -> bool:
        return any(self.lib.glob("kafka_2.13-*.jar"))

    def install(self) -> None:
        """Resolve the broker and its runtime dependencies from Maven Central (once)."""
        if self.installed():
            return
        if not (shutil.which("java") and shutil.which("mvn")):
            apt_install(["default-jre-headless", "maven"], "Java 17+ and Maven")
        require("java", "install Java 17+ (apt-get install default-jre-headless)")
        mvn = require("mvn", "install Maven (apt-get install maven)")
        log.info("fetching Apache Kafka from Maven Central into %s", self.lib)
        run(
            [
                mvn,
                "-q",
                "-B",
                "-f",
                str(POM),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={self.lib}",
                "-DincludeScope=runtime",
            ],
            "mvn dependency:copy-dependencies",
        )
        if not self.installed():
            raise StackError(f"Maven ran but no kafka_2.13 jar is in {self.lib}")

    def running(self) -> bool:
        return port_open(HOST, self.port)

    def start(self) -> bool:
        """Start the broker unless one answers already; returns True if it started one."""
        if self.running():
            return False
        self.install()
        self.home.mkdir(parents=True, exist_ok=True)
        self.config.write_text(self.properties())
        (self.home / "log4j2.properties").write_text(LOG4J.format(log=self.log_file))
        classpath = f"{self.lib}/*"
        if not (self.data / "meta.properties").exists():
            run(
                [
                    "java",
                    "-cp",
                    classpath,
                    "kafka.tools.StorageTool",
                    "format",
                    "-t",
                    cluster_id(),
                    "-c",
                    str(self.config),
                    "--standalone",
                    *(self.secure.scram_user() if self.secure else []),
                ],
                "kafka-storage format",
            )
        with (self.home / "stdout.log").open("ab") as out:
            proc = subprocess.Popen(
                [
                    "java",
                    "-Xms256m",
                    "-Xmx1g",
                    "-XX:+UseG1GC",
                    "-Djava.awt.headless=true",
                    f"-Dlog4j2.configurationFile={self.home / 'log4j2.properties'}",
                    "-cp",
                    classpath,
                    "kafka.Kafka",
                    str(self.config),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))
        wait_for_port(HOST, self.port, 90, "Kafka", self.log_file)
        if self.secure:
            wait_for_port(HOST, self.secure.port, 30, "Kafka's SASL_SSL listener", self.log_file)
        return True

    def stop(self) -> bool:
        return stop_pid(self.pid_file)
