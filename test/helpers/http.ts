/** Plain HTTP requests with a chosen Host header, as a browser on the home network would send. */
import http from 'node:http';

export interface HttpResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
}

export function httpGet(port: number, host: string, urlPath = '/', timeoutMs = 5000): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: urlPath, headers: { Host: host }, timeout: timeoutMs, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }));
    });
    request.on('timeout', () => request.destroy(new Error(`GET http://${host}${urlPath} via 127.0.0.1:${port} timed out`)));
    request.on('error', reject);
  });
}
