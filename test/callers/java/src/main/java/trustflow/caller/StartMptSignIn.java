package trustflow.caller;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.*;
import io.temporal.common.converter.CodecDataConverter;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.payload.codec.PayloadCodec;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.*;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/** trustflow's payload encryption: AES-256-GCM over the Payload's protobuf bytes, the key id as additional data. */
final class TrustflowCodec implements PayloadCodec {
  private final String activeId;
  private final Map<String, byte[]> keys = new LinkedHashMap<>();
  private final SecureRandom random = new SecureRandom();

  TrustflowCodec(String keyring) { // "id:base64,id:base64": the first encrypts
    for (String entry : keyring.split("[,\n]")) {
      if (entry.isBlank()) continue;
      String[] idKey = entry.trim().split(":", 2);
      keys.put(idKey[0], Base64.getDecoder().decode(idKey[1]));
    }
    activeId = keys.keySet().iterator().next();
  }

  @Override
  public List<Payload> encode(List<Payload> payloads) {
    List<Payload> out = new ArrayList<>();
    for (Payload p : payloads) {
      byte[] iv = new byte[12];
      random.nextBytes(iv);
      byte[] sealed = gcm(Cipher.ENCRYPT_MODE, keys.get(activeId), iv, activeId, p.toByteArray());
      out.add(Payload.newBuilder()
          .putMetadata("encoding", ByteString.copyFromUtf8("binary/encrypted"))
          .putMetadata("encryption-key-id", ByteString.copyFromUtf8(activeId))
          .setData(ByteString.copyFrom(iv).concat(ByteString.copyFrom(sealed)))
          .build());
    }
    return out;
  }

  @Override
  public List<Payload> decode(List<Payload> payloads) {
    List<Payload> out = new ArrayList<>();
    for (Payload p : payloads) {
      if (!"binary/encrypted".equals(p.getMetadataOrDefault("encoding", ByteString.EMPTY).toStringUtf8())) {
        out.add(p);
        continue;
      }
      String id = p.getMetadataOrThrow("encryption-key-id").toStringUtf8();
      byte[] key = keys.get(id);
      if (key == null) throw new IllegalStateException("no codec key '" + id + "'");
      byte[] data = p.getData().toByteArray();
      byte[] plain = gcm(Cipher.DECRYPT_MODE, key, Arrays.copyOfRange(data, 0, 12), id, Arrays.copyOfRange(data, 12, data.length));
      try {
        out.add(Payload.parseFrom(plain));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new IllegalStateException(e);
      }
    }
    return out;
  }

  private static byte[] gcm(int mode, byte[] key, byte[] iv, String keyId, byte[] input) {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
      c.updateAAD(keyId.getBytes(StandardCharsets.UTF_8));
      return c.doFinal(input); // encrypt: ciphertext ‖ tag; decrypt: checks the tag
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("payload failed authentication with codec key '" + keyId + "'", e);
    }
  }
}

public class StartMptSignIn {
  public static void main(String[] args) {
    WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(
        WorkflowServiceStubsOptions.newBuilder().setTarget(System.getenv("TEMPORAL_ADDRESS")).build());
    // true: failure messages and stack traces travel encrypted, as trustflow's workers write them.
    CodecDataConverter converter = new CodecDataConverter(DefaultDataConverter.newDefaultInstance(),
        List.of(new TrustflowCodec(System.getenv("TRUSTFLOW_CODEC_KEYS"))), true);
    WorkflowClient client = WorkflowClient.newInstance(service,
        WorkflowClientOptions.newBuilder().setNamespace("default").setDataConverter(converter).build());

    WorkflowStub stub = client.newUntypedWorkflowStub("mptSignIn", WorkflowOptions.newBuilder()
        .setTaskQueue("trustflow")
        .setWorkflowId("mpt-token-seller-1042")
        .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
        .setWorkflowIdConflictPolicy(WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)
        .build());
    Map<String, Object> input = Map.of(
        "baseUrl", "https://<stand>/api/v3/true-api",
        "signer", Map.of("kind", "pkcs12", "path", "/etc/trustflow/keys/participant.p12", "password", "env:MPT_P12_PASSWORD"));
    stub.start(input);
    try {
      JsonNode result = stub.getResult(JsonNode.class);
      System.out.println("token expires at " + result.get("expiresAt").asText());
    } catch (WorkflowFailedException e) {
      Throwable cause = e.getCause() instanceof ActivityFailure ? e.getCause().getCause() : e.getCause();
      if (cause instanceof ApplicationFailure failure) {
        System.err.println(failure.getType() + ": " + failure.getOriginalMessage()); // e.g. InvalidInput: …
      }
      throw e;
    }
  }
}
