package ai.onnxspark.jobs;

import java.io.PrintWriter;
import java.io.StringWriter;
import scala.tools.nsc.Settings;
import scala.tools.nsc.interpreter.IMain;
import scala.tools.nsc.interpreter.Results;
import scala.tools.nsc.interpreter.shell.ReplReporterImpl;

/**
 * The Scala 2.13 interpreter for {@link NotebooksTest}: what differs between the Scala versions'
 * interpreter APIs, with the same members in every version's folder ({@code
 * src/test/scala-<version>/java}).
 */
final class ScalaInterpreter implements AutoCloseable {
  private final IMain repl;

  /** An interpreter on {@code classpath}, writing its messages to {@code log}. */
  ScalaInterpreter(String classpath, StringWriter log) {
    Settings settings = new Settings();
    settings.processArgumentString("-usejavacp -classpath " + classpath);
    repl = new IMain(settings, new ReplReporterImpl(settings, new PrintWriter(log, true)));
  }

  /** Binds {@code value} to {@code name} with type {@code type}; true when it worked. */
  boolean bind(String name, String type, Object value) {
    return repl.bind(name, type, value, scala.collection.immutable.List$.MODULE$.empty())
        == Results.Success$.MODULE$;
  }

  /** Interprets {@code source}: null when it worked, else the result (Error, Incomplete). */
  String interpret(String source) {
    Results.Result result = repl.interpret(source);
    return result == Results.Success$.MODULE$ ? null : result.toString();
  }

  @Override
  public void close() {
    repl.close();
  }
}
