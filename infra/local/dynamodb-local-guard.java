// DynamoDB Local's own main, with the rules of web/loopback-guard.ts for a server no browser
// may use: it listens on 127.0.0.1 only (the emulator has no option for it: its Jetty server
// binds every interface), answers only to the Host names it is given (a DNS-rebinding page
// arrives under its own), and refuses any request with an Origin header (the AWS SDK sends
// none; a page always does), preflights included, so no web page can read or write the table.
//
// Usage: java -cp <this class>:DynamoDBLocal.jar:DynamoDBLocal_lib/* DynamoDbLocalGuard
//          <host:port,host:port,...> <DynamoDB Local's own arguments...>
// infra/local/dynamodb-local.ts compiles it once per version into node_modules/.cache.

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.io.IOException;
import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.Set;
import javax.servlet.ServletException;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.HandlerWrapper;

// Not public: javac wants a public class in a file of its name, and this file is named in kebab-case.
class DynamoDbLocalGuard {
  public static void main(String[] args) throws Exception {
    Set<String> hosts = Set.of(args[0].split(","));
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(Arrays.copyOfRange(args, 1, args.length));
    // The emulator keeps its Jetty server private and builds it listening everywhere; it is
    // not started yet, so its connectors can still be bound to loopback.
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server jetty = (Server) field.get(proxy);
    for (Connector connector : jetty.getConnectors()) ((ServerConnector) connector).setHost("127.0.0.1");
    HandlerWrapper guard = new HandlerWrapper() {
      @Override
      public void handle(String target, Request base, HttpServletRequest request, HttpServletResponse response)
          throws IOException, ServletException {
        String host = request.getHeader("Host");
        if (host == null || !hosts.contains(host) || request.getHeader("Origin") != null) {
          base.setHandled(true);
          response.setStatus(403);
          response.setContentType("text/plain");
          response.getWriter().print("DynamoDB Local answers only this machine's AWS SDK clients, at its own address.");
          return;
        }
        super.handle(target, base, request, response);
      }
    };
    guard.setHandler(jetty.getHandler());
    jetty.setHandler(guard);
    proxy.start();
  }
}
