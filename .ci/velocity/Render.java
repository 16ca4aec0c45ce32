// Renders a corpus of cases with Apache Velocity 1.7 and velocity-tools 2.0's EscapeTool, the
// reference our template engine must match byte for byte (.ci/velocity/run compares them).
//
// Usage: java Render CORPUS_DIR
// For each NAME.case, writes NAME.velocity: "ok\n" then the rendered bytes, or
// "parse error\n" or "render error\n" (which exception does not matter: only that it fails).
//
// A case file is line-based with byte lengths, so no JSON library is needed:
//   template LEN\n BYTES\n
//   string NAME LEN\n BYTES\n
//   integer NAME VALUE\n
//   map NAME\n                      an empty map (metadata; entries come sorted)
//   entry NAME KLEN VLEN\n KEY VALUE\n
//   list NAME\n                     an empty list (attachments)
//   attachment NAME CLEN BLEN OLEN\n CONTENT_TYPE BASE64 ORIGINAL_NAME\n

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;

import org.apache.commons.lang.StringEscapeUtils;
import org.apache.velocity.VelocityContext;
import org.apache.velocity.app.VelocityEngine;
import org.apache.velocity.exception.ParseErrorException;
import org.apache.velocity.tools.generic.EscapeTool;

public class Render {
    /** `$esc`: velocity-tools 2.0's EscapeTool, plus `json`, which 2.0 lacks (see escape.rs). */
    public static class Esc extends EscapeTool {
        public String json(Object value) {
            return value == null ? null : StringEscapeUtils.escapeJava(String.valueOf(value));
        }
    }

    /** An MMS attachment, as the templates read it. */
    public static class Attachment {
        private final String contentType, base64, originalName;

        Attachment(String contentType, String base64, String originalName) {
            this.contentType = contentType;
            this.base64 = base64;
            this.originalName = originalName;
        }

        public String getContentType() { return contentType; }
        public String getBase64() { return base64; }
        public String getOriginalName() { return originalName; }

        @Override
        public String toString() {
            return "{contentType=" + contentType + ", originalName=" + originalName + "}";
        }
    }

    private final byte[] bytes;
    private int pos;

    private Render(byte[] bytes) { this.bytes = bytes; }

    private String line() {
        int start = pos;
        while (bytes[pos] != '\n') pos++;
        return new String(bytes, start, pos++ - start, StandardCharsets.UTF_8);
    }

    private String take(int length) {
        String text = new String(bytes, pos, length, StandardCharsets.UTF_8);
        pos += length;
        return text;
    }

    @SuppressWarnings("unchecked")
    private String read(VelocityContext context) {
        String template = null;
        while (pos < bytes.length) {
            String[] f = line().split(" ");
            switch (f[0]) {
                case "template": template = take(Integer.parseInt(f[1])); break;
                case "string": context.put(f[1], take(Integer.parseInt(f[2]))); break;
                case "integer": context.put(f[1], Integer.valueOf(f[2])); break;
                case "map": context.put(f[1], new LinkedHashMap<String, String>()); break;
                case "entry": {
                    String key = take(Integer.parseInt(f[2]));
                    ((Map<String, String>) context.get(f[1])).put(key, take(Integer.parseInt(f[3])));
                    break;
                }
                case "list": context.put(f[1], new ArrayList<Object>()); break;
                case "attachment": {
                    String type = take(Integer.parseInt(f[2]));
                    String base64 = take(Integer.parseInt(f[3]));
                    String name = take(Integer.parseInt(f[4]));
                    ((List<Object>) context.get(f[1])).add(new Attachment(type, base64, name));
                    break;
                }
                default: throw new IllegalArgumentException("unknown line: " + f[0]);
            }
            if (f[0].equals("template") || f[0].equals("string") || f[0].equals("entry")
                    || f[0].equals("attachment")) {
                pos++;
            }
        }
        return template;
    }

    public static void main(String[] args) throws Exception {
        VelocityEngine engine = new VelocityEngine();
        engine.setProperty("runtime.log.logsystem.class", "org.apache.velocity.runtime.log.NullLogChute");
        engine.init();
        File[] cases = new File(args[0]).listFiles((dir, name) -> name.endsWith(".case"));
        Arrays.sort(cases);
        for (File file : cases) {
            VelocityContext context = new VelocityContext();
            context.put("esc", new Esc());
            String template = new Render(Files.readAllBytes(file.toPath())).read(context);
            ByteArrayOutputStream result = new ByteArrayOutputStream();
            try {
                StringWriter out = new StringWriter();
                engine.evaluate(context, out, file.getName(), template);
                result.write("ok\n".getBytes(StandardCharsets.UTF_8));
                result.write(out.toString().getBytes(StandardCharsets.UTF_8));
            } catch (ParseErrorException e) {
                if (System.getenv("VELOCITY_VERBOSE") != null) System.err.println(file.getName() + ": " + e.getMessage());
                result.write("parse error\n".getBytes(StandardCharsets.UTF_8));
            } catch (Exception e) {
                result.write("render error\n".getBytes(StandardCharsets.UTF_8));
            }
            String name = file.getName().replaceAll("\\.case$", ".velocity");
            Files.write(new File(file.getParentFile(), name).toPath(), result.toByteArray());
        }
    }
}
