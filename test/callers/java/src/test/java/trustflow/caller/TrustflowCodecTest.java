package trustflow.caller;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.temporal.api.common.v1.Payload;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The docs' TrustflowCodec against contract/codec-vectors.json: every vector decodes to its payload, encodes
 * to exactly its encrypted bytes under the vector's IV, and round-trips under a random IV; every mustFail
 * entry is refused. Also checks that the Java file is still the docs' snippet.
 */
class TrustflowCodecTest {
  private static final Path REPO = Path.of(System.getProperty("user.dir")).resolve("../../..").normalize();
  private static final JsonNode VECTORS = readJson(REPO.resolve("contract/codec-vectors.json"));

  private static JsonNode readJson(Path path) {
    try {
      return new ObjectMapper().readTree(path.toFile());
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + path, e);
    }
  }

  /** A payload as the vectors write it: metadata values and data in base64, an absent data = empty. */
  private static Payload payload(JsonNode json) {
    Payload.Builder b = Payload.newBuilder();
    json.get("metadata").fields().forEachRemaining(e ->
        b.putMetadata(e.getKey(), ByteString.copyFrom(Base64.getDecoder().decode(e.getValue().asText()))));
    if (json.hasNonNull("data")) b.setData(ByteString.copyFrom(Base64.getDecoder().decode(json.get("data").asText())));
    return b.build();
  }

  private static String keyring(JsonNode key) {
    return key.get("id").asText() + ":" + key.get("keyBase64").asText();
  }

  /** Makes the codec draw this IV next, so encode runs its own GCM with the vector's IV. No seam in the docs' code. */
  private static void fixIv(TrustflowCodec codec, byte[] iv) throws ReflectiveOperationException {
    Field random = TrustflowCodec.class.getDeclaredField("random");
    random.setAccessible(true);
    random.set(codec, new SecureRandom() {
      @Override
      public void nextBytes(byte[] bytes) {
        assertEquals(iv.length, bytes.length, "IV length");
        System.arraycopy(iv, 0, bytes, 0, iv.length);
      }
    });
  }

  @Test
  void theFormatIsTheOneThisCodecImplements() {
    JsonNode format = VECTORS.get("format");
    assertEquals("AES-256-GCM, 12-byte IV, 16-byte tag", format.get("algorithm").asText());
    assertEquals("the protobuf encoding of the whole temporal.api.common.v1.Payload (metadata and data)",
        format.get("plaintext").asText());
    assertEquals("the key id, UTF-8 (the value of the encryption-key-id metadata)", format.get("additionalData").asText());
    assertEquals("IV (12 bytes) ‖ ciphertext ‖ tag (16 bytes)", format.get("data").asText());
    assertEquals("encoding = \"binary/encrypted\", encryption-key-id = the key id (both UTF-8)", format.get("metadata").asText());
    assertTrue(VECTORS.get("vectors").size() > 0, "no vectors");
    assertTrue(VECTORS.get("mustFail").size() > 0, "no mustFail entries");
  }

  @TestFactory
  List<DynamicTest> vectors() {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode v : VECTORS.get("vectors")) {
      String name = v.get("name").asText();
      String keyId = v.get("key").get("id").asText();
      Payload plain = payload(v.get("payload"));
      Payload encrypted = payload(v.get("encrypted"));

      tests.add(DynamicTest.dynamicTest(name + ": the payload's protobuf bytes", () ->
          assertArrayEquals(Base64.getDecoder().decode(v.get("payloadProtobufBase64").asText()), plain.toByteArray())));

      tests.add(DynamicTest.dynamicTest(name + ": decode", () -> {
        TrustflowCodec codec = new TrustflowCodec(keyring(v.get("key")));
        assertEquals(List.of(plain), codec.decode(List.of(encrypted)));
      }));

      tests.add(DynamicTest.dynamicTest(name + ": encode with the vector's IV gives its exact bytes", () -> {
        TrustflowCodec codec = new TrustflowCodec(keyring(v.get("key")));
        fixIv(codec, HexFormat.of().parseHex(v.get("ivHex").asText()));
        List<Payload> out = codec.encode(List.of(plain));
        assertEquals(1, out.size());
        assertArrayEquals(encrypted.getData().toByteArray(), out.get(0).getData().toByteArray(), "data");
        assertEquals(encrypted.getMetadataMap(), out.get(0).getMetadataMap(), "metadata");
        assertEquals(encrypted, out.get(0));
      }));

      tests.add(DynamicTest.dynamicTest(name + ": encode with a random IV decodes back", () -> {
        TrustflowCodec codec = new TrustflowCodec(keyring(v.get("key")));
        List<Payload> once = codec.encode(List.of(plain));
        List<Payload> twice = codec.encode(List.of(plain));
        Payload e = once.get(0);
        assertEquals("binary/encrypted", e.getMetadataOrThrow("encoding").toStringUtf8());
        assertEquals(keyId, e.getMetadataOrThrow("encryption-key-id").toStringUtf8());
        assertEquals(12 + plain.toByteArray().length + 16, e.getData().size(), "IV ‖ ciphertext ‖ tag");
        assertNotEquals(e.getData().substring(0, 12), twice.get(0).getData().substring(0, 12), "a fresh IV per payload");
        assertEquals(List.of(plain), codec.decode(once));
        assertEquals(List.of(plain), codec.decode(twice));
      }));
    }
    return tests;
  }

  @TestFactory
  List<DynamicTest> mustFail() {
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode f : VECTORS.get("mustFail")) {
      tests.add(DynamicTest.dynamicTest(f.get("name").asText(), () -> {
        List<String> entries = new ArrayList<>();
        f.get("keys").forEach(k -> entries.add(keyring(k)));
        TrustflowCodec codec = new TrustflowCodec(String.join(",", entries));
        Payload encrypted = payload(f.get("encrypted"));
        assertThrows(RuntimeException.class, () -> codec.decode(List.of(encrypted)), f.get("why").asText());
      }));
    }
    return tests;
  }

  @Test
  void decodePassesThroughWhatIsNotEncryptedAndRefusesAMissingKeyId() {
    JsonNode v = VECTORS.get("vectors").get(0);
    TrustflowCodec codec = new TrustflowCodec(keyring(v.get("key")));
    Payload plain = payload(v.get("payload"));
    assertEquals(List.of(plain), codec.decode(List.of(plain)));
    Payload noKeyId = payload(v.get("encrypted")).toBuilder().removeMetadata("encryption-key-id").build();
    assertThrows(RuntimeException.class, () -> codec.decode(List.of(noKeyId)));
  }

  @Test
  void theFirstKeyEncryptsAndEveryKeyDecrypts() {
    JsonNode v0 = VECTORS.get("vectors").get(0);
    JsonNode v2 = VECTORS.get("vectors").get(2);
    TrustflowCodec both = new TrustflowCodec(keyring(v2.get("key")) + "," + keyring(v0.get("key")));
    Payload plain = payload(v0.get("payload"));
    assertEquals(v2.get("key").get("id").asText(),
        both.encode(List.of(plain)).get(0).getMetadataOrThrow("encryption-key-id").toStringUtf8());
    assertEquals(List.of(plain), both.decode(List.of(payload(v0.get("encrypted")))));
    assertEquals(List.of(payload(v2.get("payload"))), both.decode(List.of(payload(v2.get("encrypted")))));
  }

  /** The Java file is the docs' snippet, and a package line: change both together. */
  @Test
  void theSourceIsTheDocsSnippet() throws IOException {
    String docs = Files.readString(REPO.resolve("docs/calling-trustflow.md"), StandardCharsets.UTF_8);
    int section = docs.indexOf("\n### Java\n");
    assertTrue(section >= 0, "docs/calling-trustflow.md has no '### Java' section");
    Matcher m = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(docs);
    assertTrue(m.find(section), "no java block in the Java section");
    String source = Files.readString(Path.of("src/main/java/trustflow/caller/StartMptSignIn.java"), StandardCharsets.UTF_8);
    assertEquals(m.group(1), source.replaceFirst("\\Apackage trustflow\\.caller;\n\n", ""));
  }
}
