package ai.onnxspark.internal.model;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The roots an administrator allowed sessions to read models from ({@code
 * spark.onnx.models.allowedRoots}): local folders ({@code /models}, {@code file:/models}), URI
 * prefixes ({@code s3a://bucket/models}) or whole schemes ({@code s3a:}).
 *
 * <p>A location is under a root when, after normalisation, its path starts with the root's path
 * component by component ({@code /models2} is not under {@code /models}). Locations with a {@code
 * ..} segment are never allowed; local paths and roots are resolved through symbolic links (of the
 * longest part that exists), so a link under a root that leads outside it is not allowed either.
 * Whether a location is allowed never depends on whether a file is there, and {@link #resolve} says
 * nothing more than yes or no.
 *
 * <p>Immutable and thread-safe.
 */
public final class ModelRoots {
  private static final Pattern SCHEME_ONLY = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]+:/{0,2}");

  private final List<String> roots;

  private ModelRoots(List<String> roots) {
    this.roots = List.copyOf(roots);
  }

  /** The roots of a comma-separated list; blank or null for none. */
  public static ModelRoots parse(String commaSeparated) {
    List<String> roots = new ArrayList<>();
    if (commaSeparated != null) {
      for (String root : commaSeparated.split(",")) {
        if (!root.isBlank()) {
          roots.add(root.strip());
        }
      }
    }
    return new ModelRoots(roots);
  }

  /** The roots as configured. */
  public List<String> roots() {
    return roots;
  }

  /**
   * The location to read {@code location} from when it is under one of the roots: for a local file,
   * its path with links resolved, so what is read is what was checked; otherwise {@code location}
   * itself. Empty when it is under none, or not a usable path.
   */
  public Optional<String> resolve(String location) {
    if (location == null || location.isBlank() || hasDotDot(location)) {
      return Optional.empty();
    }
    try {
      Path local = ModelBytes.localPath(location);
      if (local != null) {
        Path real = real(local);
        for (String root : roots) {
          Path rootPath = localRoot(root);
          if (rootPath != null && real.startsWith(real(rootPath))) {
            return Optional.of(real.toString());
          }
        }
        return Optional.empty();
      }
      URI uri = ModelBytes.toUri(location).normalize();
      for (String root : roots) {
        if (remoteUnder(uri, root)) {
          return Optional.of(location);
        }
      }
      return Optional.empty();
    } catch (RuntimeException | IOException e) {
      return Optional.empty();
    }
  }

  private static boolean hasDotDot(String location) {
    return Arrays.asList(location.split("[/\\\\]")).contains("..");
  }

  /** The local folder {@code root} names, or null when it is a remote URI or scheme. */
  private static Path localRoot(String root) {
    if (SCHEME_ONLY.matcher(root).matches()) {
      return root.toLowerCase(Locale.ROOT).startsWith("file:") ? Path.of("/") : null;
    }
    return ModelBytes.localPath(root);
  }

  private static boolean remoteUnder(URI location, String root) {
    String scheme = location.getScheme();
    if (SCHEME_ONLY.matcher(root).matches()) {
      return root.substring(0, root.indexOf(':')).equalsIgnoreCase(scheme);
    }
    URI rootUri = ModelBytes.toUri(root);
    if (rootUri == null || rootUri.getScheme() == null || hasDotDot(root)) {
      return false;
    }
    rootUri = rootUri.normalize();
    if (!rootUri.getScheme().equalsIgnoreCase(scheme)
        || !String.valueOf(rootUri.getAuthority())
            .equalsIgnoreCase(String.valueOf(location.getAuthority()))) {
      return false;
    }
    List<String> rootParts = segments(rootUri.getPath());
    List<String> parts = segments(location.getPath());
    return parts.size() >= rootParts.size() && parts.subList(0, rootParts.size()).equals(rootParts);
  }

  private static List<String> segments(String path) {
    List<String> parts = new ArrayList<>();
    if (path != null) {
      for (String part : path.split("/")) {
        if (!part.isEmpty() && !part.equals(".")) {
          parts.add(part);
        }
      }
    }
    return parts;
  }

  /**
   * {@code path} absolute and normalised, with links resolved in its longest part that exists; the
   * rest, which does not exist, is appended as it is.
   */
  private static Path real(Path path) throws IOException {
    Path absolute = path.toAbsolutePath().normalize();
    Path existing = absolute;
    while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return absolute;
    }
    Path rest = existing.relativize(absolute);
    return existing.toRealPath().resolve(rest).normalize();
  }

  @Override
  public String toString() {
    return roots.toString();
  }
}
